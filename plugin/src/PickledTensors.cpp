// SPDX-License-Identifier: MIT
#include "internal/PickledTensors.h"
#include <map>
#include <memory>
#include <stdexcept>

using namespace AffinityPlugin;

namespace {

/**
 * A value on the pickle machine's stack. Only what a tensor is built from is kept (integers,
 * strings, globals, tuples, storages); every other value is opaque.
 */
struct Value {
    enum Kind { Opaque, Mark, Integer, Text, Global, Tuple, Storage } kind = Opaque;
    int64_t integer = 0;
    std::string text;
    std::vector<std::shared_ptr<Value>> items;
    PickledStorage storage;
};
using ValuePtr = std::shared_ptr<Value>;

ValuePtr make(Value::Kind kind) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
}

// The element sizes of the storage types LibTorch's pickler writes (c10::ScalarType names + "Storage").
const std::map<std::string, int64_t> StorageItemSizes = {{"ByteStorage", 1},
                                                         {"CharStorage", 1},
                                                         {"ShortStorage", 2},
                                                         {"IntStorage", 4},
                                                         {"LongStorage", 8},
                                                         {"HalfStorage", 2},
                                                         {"FloatStorage", 4},
                                                         {"DoubleStorage", 8},
                                                         {"ComplexHalfStorage", 4},
                                                         {"ComplexFloatStorage", 8},
                                                         {"ComplexDoubleStorage", 16},
                                                         {"BoolStorage", 1},
                                                         {"QInt8Storage", 1},
                                                         {"QUInt8Storage", 1},
                                                         {"QInt32Storage", 4},
                                                         {"BFloat16Storage", 2},
                                                         {"QUInt4x2Storage", 1},
                                                         {"QUInt2x4Storage", 1},
                                                         {"Float8_e5m2Storage", 1},
                                                         {"Float8_e4m3fnStorage", 1},
                                                         {"Float8_e5m2fnuzStorage", 1},
                                                         {"Float8_e4m3fnuzStorage", 1},
                                                         {"UInt16Storage", 2},
                                                         {"UInt32Storage", 4},
                                                         {"UInt64Storage", 8},
                                                         {"Int8Storage", 1},
                                                         {"Int16Storage", 2},
                                                         {"Int32Storage", 4},
                                                         {"Int64Storage", 8}};

class PickleMachine {
public:
    explicit PickleMachine(const std::string& p) : pickle(p) {}

    PickledTensors run() {
        while (true) {
            if (at >= pickle.size())
                fail("the pickle ends without a STOP opcode");
            opcodeAt = at;
            const unsigned char op = (unsigned char)pickle[at++];
            if (op == '.')
                return found;
            step(op);
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error(what + " (byte " + std::to_string(opcodeAt) + " of the pickle)");
    }
    uint64_t unsignedField(int size) {
        if (size > (int)(pickle.size() - at))
            fail("the pickle is truncated inside an opcode");
        uint64_t value = 0;
        for (int i = size - 1; i >= 0; i--)
            value = value << 8 | (unsigned char)pickle[at + i];
        at += size;
        return value;
    }
    std::string bytes(uint64_t size) {
        if (size > pickle.size() - at)
            fail("a string of " + std::to_string(size) + " bytes runs past the end of the pickle");
        std::string s = pickle.substr(at, size);
        at += size;
        return s;
    }
    std::string line() {
        const size_t end = pickle.find('\n', at);
        if (end == std::string::npos)
            fail("a GLOBAL opcode's name is not ended by a newline");
        std::string s = pickle.substr(at, end - at);
        at = end + 1;
        return s;
    }
    ValuePtr pop() {
        if (stack.empty())
            fail("an opcode takes a value from an empty stack");
        ValuePtr v = stack.back();
        stack.pop_back();
        if (v->kind == Value::Mark)
            fail("an opcode takes a MARK as a value");
        return v;
    }
    ValuePtr& top() {
        if (stack.empty() || stack.back()->kind == Value::Mark)
            fail("an opcode needs a value on the stack");
        return stack.back();
    }
    /** The values above the last MARK, removing them and the MARK. */
    std::vector<ValuePtr> popToMark() {
        if (marks.empty())
            fail("an opcode needs a MARK, but there is none");
        const size_t mark = marks.back();
        marks.pop_back();
        if (mark >= stack.size() || stack[mark]->kind != Value::Mark)
            fail("a MARK was taken off the stack");
        std::vector<ValuePtr> items(stack.begin() + mark + 1, stack.end());
        stack.resize(mark);
        return items;
    }
    void push(ValuePtr v) {
        stack.push_back(std::move(v));
    }
    void pushInteger(int64_t value) {
        ValuePtr v = make(Value::Integer);
        v->integer = value;
        push(v);
    }
    void pushTuple(std::vector<ValuePtr> items) {
        ValuePtr v = make(Value::Tuple);
        v->items = std::move(items);
        push(v);
    }
    void memoize(uint64_t index) {
        memo[index] = top();
    }
    void recall(uint64_t index) {
        auto it = memo.find(index);
        if (it == memo.end())
            fail("a memo entry " + std::to_string(index) + " is read before it is written");
        push(it->second);
    }
    static int64_t signExtend(uint64_t value, int bytes) {
        if (bytes < 8 && (value >> (8 * bytes - 1)) & 1)
            value |= ~uint64_t(0) << (8 * bytes);
        return (int64_t)value;
    }

    void step(unsigned char op) {
        switch (op) {
        case 0x80: // PROTO
            (void)unsignedField(1);
            break;
        case 0x95: // FRAME
            (void)unsignedField(8);
            break;
        case '(': // MARK
            marks.push_back(stack.size());
            push(make(Value::Mark));
            break;
        case 'q': // BINPUT
            memoize(unsignedField(1));
            break;
        case 'r': // LONG_BINPUT
            memoize(unsignedField(4));
            break;
        case 0x94: // MEMOIZE
            memoize(memo.size());
            break;
        case 'h': // BINGET
            recall(unsignedField(1));
            break;
        case 'j': // LONG_BINGET
            recall(unsignedField(4));
            break;
        case 'N':  // NONE
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
        case ']':  // EMPTY_LIST
        case '}':  // EMPTY_DICT
            push(make(Value::Opaque));
            break;
        case ')': // EMPTY_TUPLE
            pushTuple({});
            break;
        case 'K': // BININT1
            pushInteger((int64_t)unsignedField(1));
            break;
        case 'M': // BININT2
            pushInteger((int64_t)unsignedField(2));
            break;
        case 'J': // BININT
            pushInteger(signExtend(unsignedField(4), 4));
            break;
        case 0x8a: { // LONG1
            const uint64_t size = unsignedField(1);
            if (size > 8)
                fail("a LONG1 integer of " + std::to_string(size) + " bytes does not fit 64 bits");
            pushInteger(size == 0 ? 0 : signExtend(unsignedField((int)size), (int)size));
            break;
        }
        case 'G': // BINFLOAT
            (void)unsignedField(8);
            push(make(Value::Opaque));
            break;
        case 'X':    // BINUNICODE
        case 0x8c:   // SHORT_BINUNICODE
        case 0x8d:   // BINUNICODE8
        case 'B':    // BINBYTES
        case 'C':    // SHORT_BINBYTES
        case 0x8e: { // BINBYTES8
            const int width = op == 0x8c || op == 'C' ? 1 : op == 0x8d || op == 0x8e ? 8 : 4;
            ValuePtr v = make(Value::Text);
            v->text = bytes(unsignedField(width));
            push(v);
            break;
        }
        case 'c': { // GLOBAL
            ValuePtr v = make(Value::Global);
            v->text = line();
            v->text += " " + line();
            push(v);
            break;
        }
        case 't': // TUPLE
            pushTuple(popToMark());
            break;
        case 0x85:   // TUPLE1
        case 0x86:   // TUPLE2
        case 0x87: { // TUPLE3
            std::vector<ValuePtr> items(op - 0x84);
            for (size_t i = items.size(); i-- > 0;)
                items[i] = pop();
            pushTuple(std::move(items));
            break;
        }
        case 'l': // LIST
        case 'd': // DICT
            popToMark();
            push(make(Value::Opaque));
            break;
        case 'a': // APPEND
            pop();
            (void)top();
            break;
        case 'e': // APPENDS
        case 'u': // SETITEMS
            popToMark();
            (void)top();
            break;
        case 's': // SETITEM
            pop();
            pop();
            (void)top();
            break;
        case 'b': // BUILD
            pop();
            (void)top();
            break;
        case 0x81: // NEWOBJ
            pop();
            pop();
            push(make(Value::Opaque));
            break;
        case 'R': // REDUCE
            reduce();
            break;
        case 'Q': // BINPERSID
            persistentLoad();
            break;
        default:
            fail("opcode 0x" + hex(op) + " is not one that TorchScript's unpickler reads");
        }
    }
    static std::string hex(unsigned char op) {
        const char* digits = "0123456789abcdef";
        return std::string{digits[op >> 4], digits[op & 15]};
    }

    /** ('storage', torch.<Type>Storage, key, location, numel): a storage of a record. */
    void persistentLoad() {
        ValuePtr id = pop();
        if (id->kind != Value::Tuple || id->items.size() != 5 || id->items[0]->kind != Value::Text ||
            id->items[0]->text != "storage" || id->items[1]->kind != Value::Global ||
            id->items[2]->kind != Value::Text || id->items[3]->kind != Value::Text ||
            id->items[4]->kind != Value::Integer)
            fail("a persistent id is not ('storage', type, key, location, numel)");
        const std::string& global = id->items[1]->text;
        const std::string type = global.rfind("torch ", 0) == 0 ? global.substr(6) : global;
        auto size = StorageItemSizes.find(type);
        if (size == StorageItemSizes.end())
            fail("the storage type '" + global + "' is not one whose element size is known");
        ValuePtr v = make(Value::Storage);
        v->storage.key = id->items[2]->text;
        v->storage.type = type;
        v->storage.numel = id->items[4]->integer;
        v->storage.itemSize = size->second;
        if (v->storage.numel < 0)
            fail("storage " + v->storage.key + " has a negative size");
        found.storages.push_back(v->storage);
        push(v);
    }

    static bool integers(const Value& v, std::vector<int64_t>& out) {
        if (v.kind != Value::Tuple)
            return false;
        for (const ValuePtr& item : v.items) {
            if (item->kind != Value::Integer)
                return false;
            out.push_back(item->integer);
        }
        return true;
    }

    /** A call: a tensor rebuilt from a storage is recorded; any other result is opaque. */
    void reduce() {
        ValuePtr arguments = pop();
        ValuePtr callable = pop();
        const bool rebuildsTensor =
            callable->kind == Value::Global &&
            (callable->text == "torch._utils _rebuild_tensor_v2" || callable->text == "torch._utils _rebuild_qtensor");
        if (rebuildsTensor) {
            PickledTensor tensor;
            if (arguments->kind != Value::Tuple || arguments->items.size() < 4 ||
                arguments->items[0]->kind != Value::Storage || arguments->items[1]->kind != Value::Integer ||
                !integers(*arguments->items[2], tensor.sizes) || !integers(*arguments->items[3], tensor.strides) ||
                tensor.sizes.size() != tensor.strides.size())
                fail("a tensor is not rebuilt from (storage, offset, sizes, strides) of matching lengths");
            tensor.storageKey = arguments->items[0]->storage.key;
            tensor.storageNumel = arguments->items[0]->storage.numel;
            tensor.offset = arguments->items[1]->integer;
            found.tensors.push_back(std::move(tensor));
        }
        push(make(Value::Opaque));
    }

    const std::string& pickle;
    size_t at = 0, opcodeAt = 0;
    std::vector<ValuePtr> stack;
    std::vector<size_t> marks;
    std::map<uint64_t, ValuePtr> memo;
    PickledTensors found;
};

} // namespace

PickledTensors AffinityPlugin::readPickledTensors(const std::string& pickle) {
    return PickleMachine(pickle).run();
}

int64_t AffinityPlugin::elementsRead(const PickledTensor& tensor) {
    if (tensor.offset < 0)
        return -1;
    int64_t last = tensor.offset;
    for (size_t i = 0; i < tensor.sizes.size(); i++) {
        if (tensor.sizes[i] < 0 || tensor.strides[i] < 0)
            return -1;
        if (tensor.sizes[i] == 0)
            return 0;
        int64_t step;
        if (__builtin_mul_overflow(tensor.sizes[i] - 1, tensor.strides[i], &step) ||
            __builtin_add_overflow(last, step, &last))
            return -1;
    }
    int64_t count;
    if (__builtin_add_overflow(last, (int64_t)1, &count))
        return -1;
    return count;
}
