using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ServiceProxy.Benchmarks -- --filter '*'
// CI smoke (tests/ServiceProxy.FunctionalTests/Benchmarks): --job Dry --inProcess --filter '*'
// runs each benchmark once in this process, so every benchmark keeps compiling and running.
// dotnet run -c Release --project benchmarks/ServiceProxy.Benchmarks -- probing-scenario [pods] [seconds]:
// the prober on the real clock (ProbingScenario), not a BenchmarkDotNet run.
if (args is ["probing-scenario", .. var scenarioArgs])
{
    return await ServiceProxy.Benchmarks.ProbingScenario.RunAsync(scenarioArgs);
}

// dotnet run -c Release --project benchmarks/ServiceProxy.Benchmarks -- cluster-latency [services] [writes] [svcproxy.dll]:
// programming latency across nodes on a real 3-member etcd (ClusterLatencyScenario).
if (args is ["cluster-latency", .. var clusterArgs])
{
    return await ServiceProxy.Benchmarks.ClusterLatencyScenario.RunAsync(clusterArgs);
}

// dotnet run -c Release --project benchmarks/ServiceProxy.Benchmarks -- scale-scenario [counts] [writes] [svcproxy.dll]:
// start-up, RSS and write-to-accepting latency with thousands of Services (ScaleScenario).
if (args is ["scale-scenario", .. var scaleArgs])
{
    return await ServiceProxy.Benchmarks.ScaleScenario.RunAsync(scaleArgs);
}

var config = DefaultConfig.Instance;
#if DEBUG
// The smoke test runs the Debug build; its numbers mean nothing, only that it runs.
config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
#endif
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);

// Non-zero when any benchmark failed, so CI notices.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
