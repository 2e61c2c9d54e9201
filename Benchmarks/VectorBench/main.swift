print("vector bench")
