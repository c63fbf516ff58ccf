{
  "targets": [
    {
      "target_name": "uringscope",
      "sources": ["addon.cc", "abi.cc", "tracer_session.cc", "tracer_hooks.cc", "kernel_btf.cc", "probes.cc", "libbpf_log.cc", "ops_programs.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../bpf",
        "../build/bpf"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-luring", "-lelf", "-lz", "-lpthread"]
    }
  ]
}
