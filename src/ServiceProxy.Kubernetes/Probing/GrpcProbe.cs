using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// The kubelet's gRPC probe (pkg/probe/grpc): one unary <c>grpc.health.v1.Health/Check</c> call
/// over cleartext HTTP/2 through the standard health client, success only when the answer is
/// <c>SERVING</c>; failures are worded as the kubelet words them.
/// </summary>
internal sealed class GrpcProbe : IDisposable
{
    private const int MaxResponseBytes = 4096;

    // One handler for every channel: a channel per probe is cheap, a connection pool per probe is not.
    private readonly KubeProbeUserAgent _handler = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
    });

    public void Dispose() => _handler.Dispose();

    public async ValueTask<ProbeOutcome> RunAsync(string host, int port, string service, CancellationToken cancellationToken)
    {
        var address = ProbeTarget.JoinHostPort(host, port);
        using var channel = GrpcChannel.ForAddress($"http://{address}", new GrpcChannelOptions
        {
            HttpHandler = _handler,
            DisposeHttpClient = false,
            MaxReceiveMessageSize = MaxResponseBytes,
            MaxRetryAttempts = 0,
        });
        var client = new Health.HealthClient(channel);
        try
        {
            var answer = await client.CheckAsync(
                new HealthCheckRequest { Service = service },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return answer.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? ProbeOutcome.Success()
                : ProbeOutcome.Failure($"service unhealthy (responded with \"{StatusName(answer.Status)}\")");
        }
        catch (RpcException e) when (cancellationToken.IsCancellationRequested || e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return ProbeOutcome.Failure($"timeout: health rpc did not complete within the probe's timeout ({address})");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return ProbeOutcome.Failure($"this server does not implement the grpc health protocol (grpc.health.v1.Health): {e.Status.Detail}");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return ProbeOutcome.Failure($"failed to connect service \"{address}\": {e.Status.Detail}");
        }
        catch (RpcException e)
        {
            return ProbeOutcome.Failure($"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
        }
        catch (OperationCanceledException)
        {
            return ProbeOutcome.Failure($"timeout: health rpc did not complete within the probe's timeout ({address})");
        }
    }

    /// <summary>The protocol's name for a status (<c>NOT_SERVING</c>), as the kubelet prints it.</summary>
    private static string StatusName(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.Unknown => "UNKNOWN",
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => ((int)status).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Names the prober as the kubelet does (<c>kube-probe/1.34</c>), in place of the gRPC client's own agent.</summary>
    private sealed class KubeProbeUserAgent(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("User-Agent");
            request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.34");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
