# SPDX-License-Identifier: MIT
"""Where a model comes from: a file path, the bytes of a TorchScript file, or a ScriptModule.

The C++ side loads models from files or bytes only; a torch.jit.ScriptModule crosses as the
bytes that torch.jit.save writes, so no torch type ever passes through SWIG. torch is imported
only when the object in hand already is a torch module, which keeps ``import openmmaffinity``
light.
"""

import io
import os
import sys
import warnings


def is_torch_module(obj):
    """Whether obj is a torch.nn.Module (scripted or not), without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def script_module_bytes(module, who):
    """The bytes of a TorchScript file holding a ScriptModule (as torch.jit.save writes it).

    Raises TypeError for a torch.nn.Module that is not scripted."""
    import torch

    if not isinstance(module, torch.jit.ScriptModule):
        raise TypeError(
            "%s: the model is a torch.nn.Module (%s) that is not scripted; expected a torch.jit.ScriptModule: "
            "pass torch.jit.script(model)" % (who, type(module).__name__)
        )
    buffer = io.BytesIO()
    # TorchScript is the plugin's model format (LibTorch loads it); torch's notice that it
    # prefers torch.export is not the caller's to act on here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.save.*is deprecated", category=DeprecationWarning)
        torch.jit.save(module, buffer)
    return buffer.getvalue()


def model_bytes(model, who):
    """The bytes of a TorchScript model given as a path, bytes-like object or ScriptModule."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as error:
            raise OSError(
                "%s: cannot read the model file '%s' (%s); expected a TorchScript file written by torch.jit.save"
                % (who, path, error.strerror)
            ) from error
    if is_torch_module(model):
        return script_module_bytes(model, who)
    raise TypeError(
        "%s: the model is a %s; expected a TorchScript file path, its bytes, or a torch.jit.ScriptModule"
        % (who, type(model).__name__)
    )


def model_arguments(who, args):
    """The arguments of AffinityForce(model, properties=None) as its C++ constructors take them:
    a file path as str, anything else as bytes, and properties as a dict."""
    if not args:
        raise TypeError("%s: expected a model: a TorchScript file path, its bytes, or a torch.jit.ScriptModule" % who)
    model, rest = args[0], list(args[1:])
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    elif not isinstance(model, str):
        model = model_bytes(model, who)
    if rest and rest[0] is None:
        rest[0] = {}
    if rest and not isinstance(rest[0], dict):
        raise TypeError("%s: properties: expected a dict of str to str, found %s" % (who, type(rest[0]).__name__))
    if rest:
        rest[0] = {str(key): str(value) for key, value in rest[0].items()}
    return (model, *rest)
