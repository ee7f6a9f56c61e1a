// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_ELEMENT_SYMBOL_H_
#define AFFINITY_CLI_ELEMENT_SYMBOL_H_

#include <string>

namespace AffinityCli {

/** The symbol of an element, "C" for 6; "Z=200" for numbers outside 1–118, for messages. */
std::string elementSymbol(int atomicNumber);

} // namespace AffinityCli

#endif
