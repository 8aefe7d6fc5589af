class Tiny:
    pass
