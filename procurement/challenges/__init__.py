"""Questions (询问), challenges (质疑) and complaints (投诉) on procurement trades (GPL 51-57, GPR 52-55)."""
