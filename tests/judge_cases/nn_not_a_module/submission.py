class SimpleNN:
    def __call__(self, x):
        return x[:, :3]
