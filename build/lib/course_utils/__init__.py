"""Quantization Fundamentals: the shared library behind the course notebooks.

One module per idea (the lessons import the facades ``bits``, ``models``, ``viz``
and ``widgets``, which gather them):

- numbers: ``integers`` (ranges, two's complement, bit strings), ``formats``
  (float formats and their registry), ``dtypes`` (dtype names), ``codec`` (exact
  encode/decode of one number), ``tensor_codec`` (the same over tensors),
  ``explain`` (how one number is stored), ``number_text`` (typed numbers, exact
  decimals), ``bits`` (the facade of lesson 2);
- quantization: ``quant`` and ``quant_core`` (linear quantization), ``packing``,
  ``metrics`` (errors), ``layers`` (an int8 linear layer), ``calibration``
  (activation observers, W8A8), ``downcasting`` (the error of a downcast
  matmul), ``blocks`` (MX, NVFP4, NF4 block formats);
- models: ``models`` (loading, footprint, embeddings, load memory), ``offline``
  (the offline policy);
- display: ``style`` (palette and figure style), ``viz`` (figures), ``widgets``
  (explorers), ``examples`` (demo data), ``notebook`` (the lessons' set-up);
- workbooks: ``workbook`` (their set-up), ``checks`` (self-check), ``feedback``
  (verdicts), ``answers`` (canonical forms), ``mistakes`` and ``kernel_slips``
  (the usual slips), ``probes`` (function answers), ``tripwire``, ``hashing``,
  ``catalogue`` (and the generated ``_catalogue``).

Heavy libraries (transformers, matplotlib, ipywidgets, torchao) are imported only
by the modules that need them, so ``import course_utils`` costs little more than
torch.
"""

__version__ = "0.1.0"
