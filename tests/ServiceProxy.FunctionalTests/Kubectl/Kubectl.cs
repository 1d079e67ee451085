using System.Diagnostics;
using System.Text;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// The real kubectl binary, pointed at one svcproxy with <c>--server</c> (or a kubeconfig), with a
/// private HOME and cache dir so no discovery or OpenAPI cache is shared between runs or tests.
/// Every invocation has a request timeout and is killed after <see cref="ProcessTimeout"/>.
/// A machine without kubectl fails these tests; it never skips them.
/// </summary>
internal sealed class Kubectl : IDisposable
{
    public static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where the machine image puts kubectl when it is not on PATH.</summary>
    private const string CloudSdkKubectl = "/usr/lib/google-cloud-sdk/bin/kubectl";

    private readonly string? _server;
    private readonly string? _kubeconfig;

    private Kubectl(string? server, string? kubeconfig)
    {
        _server = server;
        _kubeconfig = kubeconfig;
        Directory.CreateDirectory(Home);
    }

    /// <summary>A private HOME (and with it ~/.kube/cache) for this kubectl only.</summary>
    public string Home { get; } = Directory.CreateTempSubdirectory("svcproxy-kubectl-home-").FullName;

    public static Kubectl ForServer(string server) => new(server, null);

    public static Kubectl ForKubeconfig(string kubeconfigPath) => new(null, kubeconfigPath);

    public static string Binary { get; } = Locate();

    /// <summary>Variables set for every kubectl this instance starts (<c>KUBE_EDITOR</c> for <c>kubectl edit</c>).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs kubectl with <paramref name="args"/>; the server options come first, so args may override nothing.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    public async Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin)
    {
        using var process = Start(args, stdin is not null);
        return await ProcessRunner.RunToExitAsync(process, stdin, ProcessTimeout, $"kubectl {string.Join(' ', args)}");
    }

    /// <summary>Starts a long-running kubectl (e.g. <c>get -w</c>); the caller reads its output and kills it by PID.</summary>
    /// <summary>Ends a long-running kubectl (a watch) and waits, at most <see cref="ProcessTimeout"/>, for it to exit.</summary>
    public static async Task StopAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        using var exited = new CancellationTokenSource(ProcessTimeout);
        await process.WaitForExitAsync(exited.Token);
    }

    public Process Start(IEnumerable<string> args, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Home,
        };
        info.Environment["HOME"] = Home;
        info.Environment.Remove("KUBECONFIG");
        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }
        if (_kubeconfig is not null)
        {
            info.Environment["KUBECONFIG"] = _kubeconfig;
        }
        else
        {
            // No kubeconfig at all: kubectl would default to localhost:8080; --server points it at this host.
            info.ArgumentList.Add("--server");
            info.ArgumentList.Add(_server!);
        }

        info.ArgumentList.Add("--cache-dir");
        info.ArgumentList.Add(Path.Combine(Home, "cache"));
        info.ArgumentList.Add("--request-timeout=10s");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start kubectl");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // A killed kubectl may still be closing a cache file; the temp directory is left behind.
        }
    }

    private static string Locate()
    {
        foreach (var directory in (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "kubectl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return File.Exists(CloudSdkKubectl)
            ? CloudSdkKubectl
            : throw new InvalidOperationException("kubectl is neither on PATH nor at " + CloudSdkKubectl + "; these tests need the real kubectl (.ci/run installs it)");
    }
}
