#ifndef AFFINITY_RESCORE_ELEMENT_SYMBOL_H_
#define AFFINITY_RESCORE_ELEMENT_SYMBOL_H_

#include <string>

namespace AffinityRescore {

/** The symbol of an element, "C" for 6; "Z=200" for numbers outside 1–118, for messages. */
std::string elementSymbol(int atomicNumber);

} // namespace AffinityRescore

#endif
