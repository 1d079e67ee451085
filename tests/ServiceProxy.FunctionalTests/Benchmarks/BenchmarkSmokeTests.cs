using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using ServiceProxy.FunctionalTests.Tcp;

namespace ServiceProxy.FunctionalTests.Benchmarks;

/// <summary>
/// Keeps benchmarks/ServiceProxy.Benchmarks compiling and running: every benchmark runs once
/// (BenchmarkDotNet's Dry job, in this build's configuration, in process) and must report a
/// measurement. No timing is asserted. The benchmarks saturate the CPU and loopback for a few
/// seconds, so they run alone, not beside tests that count on timely datagrams.
/// </summary>
[Collection(nameof(ExclusiveCollection))]
public sealed class BenchmarkSmokeTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Every_benchmark_runs_once_and_reports_a_measurement()
    {
        var assembly = BenchmarkAssembly();
        var artifacts = Directory.CreateTempSubdirectory("svcproxy-bdn-");
        try
        {
            var list = await RunAsync(assembly, artifacts.FullName, "--list", "flat");
            Assert.Equal(0, list.ExitCode);
            var expected = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => l.StartsWith("ServiceProxy.Benchmarks.", StringComparison.Ordinal))
                .ToHashSet();
            Assert.Contains("ServiceProxy.Benchmarks.TcpRelayBenchmarks.PushOneMiB", expected);
            Assert.Contains("ServiceProxy.Benchmarks.UdpForwardingBenchmarks.ClientToEndpoint", expected);
            Assert.Contains("ServiceProxy.Benchmarks.ManifestBenchmarks.LoadAndValidate", expected);
            Assert.Contains("ServiceProxy.Benchmarks.BalancerBenchmarks.RoundRobin", expected);
            Assert.Contains("ServiceProxy.Benchmarks.DnsBenchmarks.AnswerHit", expected);

            var run = await RunAsync(
                assembly, artifacts.FullName, "--job", "Dry", "--inProcess", "--filter", "*",
                "--artifacts", artifacts.FullName, "--exporters", "json");
            Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}:\n{Tail(run.Output)}");

            var reported = ReadReports(Path.Combine(artifacts.FullName, "results"));
            foreach (var name in expected)
            {
                var cases = reported.Where(r => r.Method == name).ToList();
                Assert.True(cases.Count > 0, $"{name} reported nothing:\n{Tail(run.Output)}");
                Assert.All(cases, c => Assert.True(c.Measured, $"{name} ({c.Parameters}) has no measurement"));
            }

            // Every engine and message size of the relay benchmark ran.
            Assert.Equal(9, reported.Count(r => r.Method == "ServiceProxy.Benchmarks.TcpRelayBenchmarks.PushOneMiB"));
        }
        finally
        {
            artifacts.Delete(recursive: true);
        }
    }

    private static List<(string Method, string Parameters, bool Measured)> ReadReports(string directory)
    {
        var reported = new List<(string, string, bool)>();
        foreach (var file in Directory.EnumerateFiles(directory, "*-report-full-compressed.json"))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var benchmark in json.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                var method = $"{benchmark.GetProperty("Namespace").GetString()}.{benchmark.GetProperty("Type").GetString()}.{benchmark.GetProperty("Method").GetString()}";
                var measured = benchmark.TryGetProperty("Statistics", out var statistics)
                    && statistics.ValueKind == JsonValueKind.Object
                    && statistics.GetProperty("N").GetInt32() > 0;
                reported.Add((method, benchmark.GetProperty("Parameters").GetString() ?? "", measured));
            }
        }

        return reported;
    }

    /// <summary>The benchmark assembly built alongside this one (same configuration), found from the repository root.</summary>
    private static string BenchmarkAssembly()
    {
        var configuration = typeof(BenchmarkSmokeTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ServiceProxy.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var path = Path.Combine(directory.FullName, "benchmarks", "ServiceProxy.Benchmarks", "bin", configuration, "net10.0", "ServiceProxy.Benchmarks.dll");
        Assert.True(File.Exists(path), $"{path} was not built");
        return path;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string assembly, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the benchmarks did not finish within {RunTimeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}
