using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// Runs probes over the network as the kubelet does: <c>tcpSocket</c> connects, <c>httpGet</c> and
/// <c>grpc</c> ask; <c>exec</c> cannot run in a process outside the container and is an error.
/// </summary>
internal sealed class ProbeRunner : IProbeRunner, IDisposable
{
    /// <summary>Why an exec probe never passes here; shown in the Pod's Ready condition.</summary>
    public const string ExecUnsupported = "exec readiness probes cannot run in ServiceProxy (no container runtime); use tcpSocket, httpGet or grpc";

    private readonly HttpProbe _http = new();
    private readonly GrpcProbe _grpc = new();

    public async ValueTask<ProbeOutcome> RunAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var probe = target.Probe;
        if (probe.TcpSocket is { } tcp)
        {
            return target.ResolvePort(tcp.Port, out var error) is int port
                ? await TcpAsync(target.Host(tcp.Host), port, cancellationToken).ConfigureAwait(false)
                : ProbeOutcome.Error(error);
        }

        if (probe.HttpGet is { } http)
        {
            return target.ResolvePort(http.Port, out var error) is int port
                ? await _http.RunAsync(target.Host(http.Host), port, http, cancellationToken).ConfigureAwait(false)
                : ProbeOutcome.Error(error);
        }

        if (probe.Grpc is { } grpc)
        {
            return await _grpc.RunAsync(target.PodIP, grpc.Port, grpc.Service ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        return ProbeOutcome.Error(ExecUnsupported);
    }

    public void Dispose()
    {
        _http.Dispose();
        _grpc.Dispose();
    }

    /// <summary>The kubelet's tcp probe: success once the connection is established, then closed.</summary>
    internal static async ValueTask<ProbeOutcome> TcpAsync(string host, int port, CancellationToken cancellationToken)
    {
        var address = ProbeTarget.JoinHostPort(host, port);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                await socket.ConnectAsync(new IPEndPoint(ip, port), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            }

            return ProbeOutcome.Success();
        }
        catch (OperationCanceledException)
        {
            return ProbeOutcome.Failure($"dial tcp {address}: i/o timeout");
        }
        catch (SocketException e)
        {
            return ProbeOutcome.Failure($"dial tcp {address}: {e.Message}");
        }
    }
}
