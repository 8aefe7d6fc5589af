class Tiny: pass
