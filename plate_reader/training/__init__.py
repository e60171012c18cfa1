"""Training the plate recogniser on rendered plates: texts, rendering, augmentation, the model,
the training loop and the ONNX export. Nothing here is imported at run time; the worker only needs
``plate_reader.recogniser`` and the committed ONNX file.

    make train-plates                      # CPU, the shipped recipe
    python -m plate_reader.training.train --device cuda --samples 400000   # on a GPU
"""
