print("paperboy")
