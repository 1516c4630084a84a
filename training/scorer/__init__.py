"""The facial-beauty scorer on SCUT-FBP5500: crops, augmented views, two-stage fit, evaluate, robustness, ship."""
