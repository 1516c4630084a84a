"""`python -m training emotion`: a ResNet emotion classifier for FER2013's 7 classes.

    data.py    FER2013's CSV or one folder per class -> grey face crops per split
    model.py   the ResNet (TF.js-convertible layers, fer's grey input layer first)
    fit.py     EmotionConfig, training with a validation hold-out, the run folder
    cli.py     the `emotion` sub-command
The model goes into a bundle with `python -m converter export --emotion RUN/emotion.keras`.
"""
