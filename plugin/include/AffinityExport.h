// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_EXPORT_H_
#define OPENMM_AFFINITY_EXPORT_H_

// Symbols of the OpenMMAffinity libraries are exported with default visibility; everything
// else is hidden (the build uses -fvisibility=hidden), which keeps LibTorch's many inline
// symbols out of the plugins' dynamic symbol tables.
#if defined(_WIN32)
#if defined(OPENMM_AFFINITY_BUILDING_SHARED_LIBRARY)
#define OPENMM_EXPORT_AFFINITY __declspec(dllexport)
#else
#define OPENMM_EXPORT_AFFINITY __declspec(dllimport)
#endif
#else
#define OPENMM_EXPORT_AFFINITY __attribute__((visibility("default")))
#endif

#endif
