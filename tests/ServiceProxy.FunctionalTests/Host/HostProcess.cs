using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>
/// The real <c>svcproxy</c> process (<c>dotnet svcproxy.dll run …</c>) on a free loopback admin port,
/// its output captured, plus the CLI run against it. Every wait is bounded.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private HostProcess(Process process, string adminUrl)
    {
        _process = process;
        AdminUrl = adminUrl;
        // An https admin URL is the test's own self-signed certificate: the tests check TLS with the CLI and kubectl, not here.
        var handler = new HttpClientHandler();
        if (adminUrl.StartsWith("https:", StringComparison.Ordinal))
        {
            handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
        }

        Http = new HttpClient(handler) { BaseAddress = new Uri(adminUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string AdminUrl { get; }

    public HttpClient Http { get; }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "svcproxy.dll");

    /// <summary>
    /// Starts <c>svcproxy run</c> with <paramref name="args"/> plus a free <c>--admin</c> port (unless given), its own
    /// service CIDR (so parallel hosts never share a ClusterIP), NodePorts on 127.0.0.1 only, and waits for /readyz.
    /// With <c>--admin-tls-cert</c> among the arguments the admin URL is https.
    /// <paramref name="readStdout"/> false leaves standard output a pipe nobody reads: it fills (64 KiB) and
    /// stays full, as a stalled log collector leaves it; only standard error is captured then.
    /// With <paramref name="descriptorLimit"/>, the process runs under <c>ulimit -n</c> of that many
    /// descriptors (soft and hard, since the host raises its soft limit to the hard one).
    /// </summary>
    public static async Task<HostProcess> StartAsync(
        IEnumerable<string> args, IDictionary<string, string>? environment = null, bool waitReady = true, string? workingDirectory = null,
        bool readStdout = true, int? descriptorLimit = null)
    {
        var list = args.ToList();
        var chosen = !list.Contains("--admin");
        for (var attempt = 1; ; attempt++)
        {
            var process = Launch(list, environment, workingDirectory, readStdout, descriptorLimit);
            if (!waitReady)
            {
                return process;
            }

            try
            {
                await process.WaitReadyAsync();
                return process;
            }
            catch (InvalidOperationException) when (chosen && attempt < 3 && process.LostAdminPort)
            {
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Starts <c>svcproxy run</c> as <see cref="StartAsync"/> does, but waits only until its admin API
    /// accepts connections, not until it is ready (a follower whose API is not there yet), choosing
    /// another admin port when another process took the free one first. Returns early if the process exits.
    /// </summary>
    public static async Task<HostProcess> StartServingAsync(IEnumerable<string> args)
    {
        var list = args.ToList();
        var chosen = !list.Contains("--admin");
        for (var attempt = 1; ; attempt++)
        {
            var process = Launch(list, environment: null, workingDirectory: null, readStdout: true, descriptorLimit: null);
            var port = new Uri(process.AdminUrl).Port;
            var deadline = Stopwatch.StartNew();
            while (!process.HasExited && !process.LostAdminPort && deadline.Elapsed < StartTimeout)
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await probe.ConnectAsync(IPAddress.Loopback, port);
                    return process;
                }
                catch (SocketException)
                {
                    await Task.Delay(50);
                }
            }

            if (!(chosen && attempt < 3 && process.LostAdminPort))
            {
                return process;
            }

            await process.DisposeAsync();
        }
    }

    /// <summary>Another process took the free admin port between its check and svcproxy's bind: choose again.</summary>
    private bool LostAdminPort => Output.Contains("cannot serve the admin API", StringComparison.Ordinal);

    private static HostProcess Launch(List<string> list, IDictionary<string, string>? environment, string? workingDirectory, bool readStdout, int? descriptorLimit)
    {
        var adminIndex = list.IndexOf("--admin");
        var admin = adminIndex >= 0 ? list[adminIndex + 1] : $"127.0.0.1:{Ports.FreeTcpPort()}";
        var adminPort = IPEndPoint.Parse(admin).Port;
        var all = new List<string> { "run" };
        if (adminIndex < 0)
        {
            all.AddRange(["--admin", admin]);
        }

        if (!list.Contains("--service-cidr"))
        {
            all.AddRange(["--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}.0/24"]);
        }

        if (!list.Contains("--loadbalancer-pool"))
        {
            // Apart from the service CIDRs above, so hosts running side by side never give out one address twice.
            all.AddRange(["--loadbalancer-pool", $"127.{Random.Shared.Next(250, 255)}.{Random.Shared.Next(0, 256)}.0/28"]);
        }

        if (!list.Contains("--node-address"))
        {
            all.AddRange(["--node-address", "127.0.0.1"]);
        }

        all.AddRange(list);
        var host = Start(all, environment, workingDirectory: workingDirectory, descriptorLimit: descriptorLimit);
        var scheme = list.Contains("--admin-tls-cert") ? "https" : "http";
        var process = new HostProcess(host, $"{scheme}://127.0.0.1:{adminPort}");
        host.OutputDataReceived += (_, e) => { if (e.Data is not null) process._output.Enqueue(e.Data); };
        host.ErrorDataReceived += (_, e) => { if (e.Data is not null) process._output.Enqueue(e.Data); };
        if (readStdout)
        {
            host.BeginOutputReadLine();
        }

        host.BeginErrorReadLine();
        return process;
    }

    /// <summary>Starts reading standard output after all, for a host started with <c>readStdout: false</c>.</summary>
    public void StartReadingStdout() => _process.BeginOutputReadLine();

    public async Task WaitReadyAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                // Waits for the output readers too: a process that exits at once would otherwise be
                // reported before its error message arrives.
                await _process.WaitForExitAsync(timeout.Token);
                throw new InvalidOperationException($"svcproxy exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync("/readyz", timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"svcproxy not ready within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Waits until the output has a line containing <paramref name="text"/>.</summary>
    public async Task<string> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (!cancellation.IsCancellationRequested)
        {
            if (_output.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            await Task.Delay(50, CancellationToken.None);
        }

        throw new TimeoutException($"no output line with \"{text}\" within {timeout}:\n{Output}");
    }

    /// <summary>Runs <c>svcproxy ARGS --server ADMIN</c> and returns its exit code and output.</summary>
    public Task<CliResult> CliAsync(params string[] args) => RunCliAsync([.. args, "--server", AdminUrl]);

    public static async Task<CliResult> RunCliAsync(IEnumerable<string> args, string? stdin = null, IDictionary<string, string>? environment = null)
    {
        using var process = Start(args, environment, redirectInput: stdin is not null);
        return await ProcessRunner.RunToExitAsync(process, stdin, StartTimeout, $"svcproxy {string.Join(' ', args)}");
    }

    /// <summary>Like kill -9: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to exit on its own (a refused start).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(StartTimeout);
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
    }

    private static Process Start(
        IEnumerable<string> args, IDictionary<string, string>? environment, bool redirectInput = false, string? workingDirectory = null, int? descriptorLimit = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(descriptorLimit is null ? dotnet : "bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        if (descriptorLimit is { } limit)
        {
            // exec keeps the pid, so Kill and the exit code are svcproxy's own.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"ulimit -n {limit} && exec \"$0\" \"$@\"");
            info.ArgumentList.Add(dotnet);
        }

        info.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Settings of the developer's shell must not leak into the process under test.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("SVCPROXY_", StringComparison.Ordinal)))
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start svcproxy");
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class Ports
{
    /// <summary>A TCP port free on 127.0.0.1 right now (bind 0, read, release).</summary>
    public static int FreeTcpPort(IPAddress? address = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>
    /// <paramref name="count"/> different TCP ports free on 127.0.0.1 right now: all bound at once, then
    /// released. One <see cref="FreeTcpPort"/> after another can return a port twice, since each is
    /// released before the next is chosen.
    /// </summary>
    public static int[] FreeTcpPorts(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }

            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}
