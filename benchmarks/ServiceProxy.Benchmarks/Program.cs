using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ServiceProxy.Benchmarks -- --filter '*'
// CI smoke: add --job Dry (one iteration of each, so every benchmark keeps compiling and running).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
