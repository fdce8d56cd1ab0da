"""Quantization Fundamentals: the shared library behind the course notebooks.

Modules, one job each:

- ``bits``: integer and floating-point encodings (fields, exact values, neighbours)
- ``quant``: linear quantization kernels and bit packing
- ``layers``: an int8-weight linear layer and the swap of a model's linear layers
- ``downcasting``: the error of a downcast matrix multiplication (lesson 3)
- ``calibration``: activation observers and a W8A8 linear layer (lesson 5)
- ``models``: loading models in a dtype, true memory footprint, output comparison
- ``viz``: matplotlib figures
- ``widgets``: ipywidgets explorers built on the above
- ``checks``: self-checks of workbook answers for self-study learners
- ``notebook``: the set-up cell every notebook starts with

Heavy libraries (transformers, matplotlib, ipywidgets) are imported only by the
modules that need them, so ``import course_utils`` costs little more than torch.
"""

__version__ = "0.1.0"
