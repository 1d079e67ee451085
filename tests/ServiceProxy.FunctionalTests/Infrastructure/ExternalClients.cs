using System.Diagnostics;
using System.Net;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>
/// Many idle TCP clients in a separate python3 process, so their descriptors do not count against
/// the test process (the proxy side already needs three per connection). Each client sends one
/// byte and waits for its echo; the process then holds every connection until told to close.
/// </summary>
public sealed class ExternalClients : IAsyncDisposable
{
    private const string Script = """
        import resource, socket, sys
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        clients = []
        for i in range(count):
            s = socket.create_connection((host, port), timeout=30)
            s.sendall(b"x")
            clients.append(s)
        for s in clients:
            if s.recv(1) != b"x":
                print("bad echo", flush=True)
                sys.exit(1)
        print("open", flush=True)
        sys.stdin.readline()
        for s in clients:
            s.close()
        print("closed", flush=True)
        """;

    private readonly Process _process;

    private ExternalClients(Process process) => _process = process;

    public static async Task<ExternalClients> OpenAsync(IPEndPoint target, int count, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", Script, target.Address.ToString(), target.Port.ToString(), count.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        var clients = new ExternalClients(Process.Start(start)!);
        await clients.ExpectAsync("open", cancellationToken);
        return clients;
    }

    public async Task CloseAllAsync(CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync();
        await _process.StandardInput.FlushAsync(cancellationToken);
        await ExpectAsync("closed", cancellationToken);
        await _process.WaitForExitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ExpectAsync(string line, CancellationToken cancellationToken)
    {
        var got = await _process.StandardOutput.ReadLineAsync(cancellationToken);
        if (got != line)
        {
            var error = await _process.StandardError.ReadToEndAsync(cancellationToken);
            throw new InvalidOperationException($"python clients said '{got}' instead of '{line}': {error}");
        }
    }
}
