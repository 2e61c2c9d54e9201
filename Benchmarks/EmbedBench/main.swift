print("embed bench")
