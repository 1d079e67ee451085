using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// A real etcd cluster (Debian's <c>etcd</c>) of 1 or 3 members on 127.0.0.1, each with free client
/// and peer ports and its own temporary data directory under one root. Members can be killed
/// (SIGKILL) and restarted on the same ports and data. Disposing kills every member and removes the
/// root, also after a failed start. Every wait is bounded.
/// </summary>
internal sealed class EtcdCluster : IAsyncDisposable
{
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(30);
    private static readonly HttpClient PlainHttp = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly string _root;
    private readonly string _initialCluster;
    private readonly string _token = "svcproxy-test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly EtcdMember[] _members;
    private readonly EtcdTls? _tls;
    private readonly HttpClient _http;

    private EtcdCluster(string root, int size, EtcdTls? tls)
    {
        _root = root;
        _tls = tls;
        _http = tls?.HealthClient() ?? PlainHttp;
        // Chosen together: ports chosen one after another can repeat, which etcd refuses ("duplicate url").
        var ports = Ports.FreeTcpPorts(2 * size);
        _members = [.. Enumerable.Range(0, size).Select(i => new EtcdMember(
            $"m{i}",
            $"{(tls is null ? "http" : "https")}://127.0.0.1:{ports[2 * i]}",
            $"http://127.0.0.1:{ports[(2 * i) + 1]}",
            Path.Combine(root, $"m{i}")))];
        _initialCluster = string.Join(',', _members.Select(m => $"{m.Name}={m.PeerUrl}"));
    }

    /// <summary>The directory holding every member's data directory; removed on dispose.</summary>
    public string RootDirectory => _root;

    /// <summary>The members, in start order.</summary>
    public IReadOnlyList<EtcdMember> Members => _members;

    /// <summary>Every member's client URL, comma-separated, as <c>--etcd-servers</c> takes them.</summary>
    public string ClientUrls => string.Join(',', _members.Select(m => m.ClientUrl));

    /// <summary>
    /// Starts <paramref name="size"/> members (1 or 3) and waits until each reports healthy. With
    /// <paramref name="tls"/>, clients speak TLS to them and must present a certificate of its CA.
    /// </summary>
    public static async Task<EtcdCluster> StartAsync(int size = 3, EtcdTls? tls = null)
    {
        if (size is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(size), "1 or 3 members");
        }

        var root = Path.Combine(Path.GetTempPath(), "svcproxy-etcd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var cluster = new EtcdCluster(root, size, tls);
        try
        {
            foreach (var member in cluster._members)
            {
                cluster.Launch(member);
            }

            await cluster.WaitHealthyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills member <paramref name="index"/> with SIGKILL (no shutdown) and waits until it is gone.</summary>
    public async Task KillAsync(int index)
    {
        var member = _members[index];
        if (member.Process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(deadline.Token);
        process.Dispose();
        member.Process = null;
    }

    /// <summary>Starts a killed member again on its ports and data; it rejoins without waiting for health (it may have no quorum).</summary>
    public void Restart(int index)
    {
        var member = _members[index];
        if (member.Process is not null)
        {
            throw new InvalidOperationException($"{member.Name} is running");
        }

        Launch(member);
    }

    /// <summary>Waits until every running member (or only <paramref name="index"/>) answers /health with true.</summary>
    public async Task WaitHealthyAsync(int? index = null)
    {
        var members = index is { } i ? [_members[i]] : _members.Where(m => m.Process is not null).ToArray();
        var deadline = Stopwatch.StartNew();
        foreach (var member in members)
        {
            while (!await IsHealthyAsync(member, _http))
            {
                if (member.Process is { HasExited: true })
                {
                    throw new InvalidOperationException($"etcd {member.Name} exited ({member.Process.ExitCode}):\n{member.Output}");
                }

                if (deadline.Elapsed > HealthTimeout)
                {
                    throw new TimeoutException($"etcd {member.Name} not healthy within {HealthTimeout}:\n{member.Output}");
                }

                await Task.Delay(100);
            }
        }
    }

    /// <summary>Whether the member answers /health with true (it has a leader and can serve a quorum read).</summary>
    public static Task<bool> IsHealthyAsync(EtcdMember member) => IsHealthyAsync(member, PlainHttp);

    private static async Task<bool> IsHealthyAsync(EtcdMember member, HttpClient http)
    {
        try
        {
            var body = await http.GetStringAsync(member.ClientUrl + "/health");
            return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Runs <c>etcdctl --endpoints URLS ARGS</c> (API v3) against the running members, bounded; fails on a non-zero exit.</summary>
    public async Task<string> CtlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ETCDCTL_API"] = "3";
        start.ArgumentList.Add("--endpoints");
        start.ArgumentList.Add(string.Join(',', _members.Where(m => m.IsRunning).Select(m => m.ClientUrl)));
        start.ArgumentList.Add("--command-timeout=10s");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("etcdctl did not start");
        var result = await ProcessRunner.RunToExitAsync(process, null, TimeSpan.FromSeconds(30), "etcdctl " + string.Join(' ', args));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"etcdctl {string.Join(' ', args)}: {result.ExitCode} {result.Stderr}");
        }

        return result.Stdout;
    }

    /// <summary>The index of the member that leads the raft group now (per <c>etcdctl endpoint status</c>).</summary>
    public async Task<int> LeaderIndexAsync()
    {
        var statuses = JsonNode.Parse(await CtlAsync("endpoint", "status", "-w", "json"))!.AsArray();
        foreach (var status in statuses)
        {
            var member = status!["Status"]!["header"]!["member_id"]!.ToJsonString();
            if (member == status["Status"]!["leader"]!.ToJsonString())
            {
                var endpoint = status["Endpoint"]!.GetValue<string>();
                return Array.FindIndex(_members, m => m.ClientUrl == endpoint);
            }
        }

        throw new InvalidOperationException("no member leads");
    }

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            _http.Dispose();
        }

        for (var i = 0; i < _members.Length; i++)
        {
            try
            {
                await KillAsync(i);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                // Already gone, or not reaped in time: the directory is removed all the same.
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Launch(EtcdMember member)
    {
        var start = new ProcessStartInfo("etcd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--name", member.Name,
            "--data-dir", member.DataDirectory,
            "--listen-client-urls", member.ClientUrl,
            "--advertise-client-urls", member.ClientUrl,
            "--listen-peer-urls", member.PeerUrl,
            "--initial-advertise-peer-urls", member.PeerUrl,
            "--initial-cluster", _initialCluster,
            "--initial-cluster-token", _token,
            "--initial-cluster-state", "new",
            "--logger", "zap",
            "--log-outputs", "stderr",
            "--log-level", "warn",
        })
        {
            start.ArgumentList.Add(arg);
        }

        if (_tls is { } tls)
        {
            foreach (var arg in new[] { "--cert-file", tls.ServerCertFile, "--key-file", tls.ServerKeyFile, "--trusted-ca-file", tls.CaFile, "--client-cert-auth" })
            {
                start.ArgumentList.Add(arg);
            }
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => member.Append(e.Data);
        process.ErrorDataReceived += (_, e) => member.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("etcd did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        member.Process = process;
    }
}

/// <summary>One etcd member of an <see cref="EtcdCluster"/>.</summary>
internal sealed class EtcdMember(string name, string clientUrl, string peerUrl, string dataDirectory)
{
    private const int MaxLines = 200;
    private readonly ConcurrentQueue<string> _output = new();

    public string Name { get; } = name;

    public string ClientUrl { get; } = clientUrl;

    public string PeerUrl { get; } = peerUrl;

    public string DataDirectory { get; } = dataDirectory;

    /// <summary>The running process, or null after a kill.</summary>
    public Process? Process { get; set; }

    public bool IsRunning => Process is { HasExited: false };

    /// <summary>The last lines the member wrote (bounded).</summary>
    public string Output => string.Join('\n', _output);

    public int ClientPort => int.Parse(ClientUrl[(ClientUrl.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    internal void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > MaxLines && _output.TryDequeue(out _))
        {
        }
    }
}
