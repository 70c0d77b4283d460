{
  "targets": [
    {
      "target_name": "ec_verify",
      "sources": ["ec_verify.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
