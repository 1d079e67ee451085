using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// The kubelet's gRPC probe (pkg/probe/grpc): one unary <c>grpc.health.v1.Health/Check</c> call
/// over cleartext HTTP/2, success only when the answer is <c>SERVING</c>. The request and answer
/// are one protobuf field each, so they are framed here rather than through a gRPC client stack.
/// </summary>
internal sealed class GrpcProbe : IDisposable
{
    private const int MaxResponseBytes = 4096;
    private static readonly string[] StatusNames = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
    });

    public void Dispose() => _client.Dispose();

    public async ValueTask<ProbeOutcome> RunAsync(string host, int port, string service, CancellationToken cancellationToken)
    {
        var address = ProbeTarget.JoinHostPort(host, port);
        var content = new ByteArrayContent(Frame(service));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{address}/grpc.health.v1.Health/Check")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.34");
        try
        {
            using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return ProbeOutcome.Failure(string.Create(CultureInfo.InvariantCulture, $"rpc error: code = Unknown desc = unexpected HTTP status code {(int)response.StatusCode}"));
            }

            var body = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
            var grpcStatus = Header(response, "grpc-status");
            if (grpcStatus is not (null or "0"))
            {
                var message = Uri.UnescapeDataString(Header(response, "grpc-message") ?? string.Empty);
                return grpcStatus == "12"
                    ? ProbeOutcome.Failure($"this server does not implement the grpc health protocol (grpc.health.v1.Health): {message}")
                    : ProbeOutcome.Failure($"rpc error: code = {grpcStatus} desc = {message}");
            }

            if (ParseStatus(body) is not int status)
            {
                return ProbeOutcome.Failure("rpc error: code = Internal desc = malformed health check response");
            }

            return status == 1
                ? ProbeOutcome.Success()
                : ProbeOutcome.Failure($"service unhealthy (responded with \"{(status < StatusNames.Length ? StatusNames[status] : status.ToString(CultureInfo.InvariantCulture))}\")");
        }
        catch (OperationCanceledException)
        {
            return ProbeOutcome.Failure($"timeout: health rpc did not complete within the probe's timeout ({address})");
        }
        catch (HttpRequestException e)
        {
            return ProbeOutcome.Failure($"failed to connect service \"{address}\": {e.Message}");
        }
    }

    /// <summary>A length-prefixed gRPC message holding HealthCheckRequest{service} (field 1, string).</summary>
    internal static byte[] Frame(string service)
    {
        var name = Encoding.UTF8.GetBytes(service);
        var message = new List<byte>(name.Length + 6);
        if (name.Length > 0)
        {
            message.Add(0x0A);
            for (var length = (uint)name.Length; ; length >>= 7)
            {
                if (length < 0x80)
                {
                    message.Add((byte)length);
                    break;
                }

                message.Add((byte)((length & 0x7F) | 0x80));
            }

            message.AddRange(name);
        }

        var frame = new byte[5 + message.Count];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Count);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>HealthCheckResponse.status (field 1, varint) of an uncompressed frame; 0 when absent; null when malformed.</summary>
    internal static int? ParseStatus(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 5 || frame[0] != 0)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(frame[1..]);
        if (length > frame.Length - 5)
        {
            return null;
        }

        var message = frame.Slice(5, (int)length);
        var status = 0;
        var i = 0;
        while (i < message.Length)
        {
            if (!TryVarint(message, ref i, out var tag))
            {
                return null;
            }

            var wireType = tag & 7;
            if (wireType == 0)
            {
                if (!TryVarint(message, ref i, out var value))
                {
                    return null;
                }

                if (tag >> 3 == 1)
                {
                    status = value > int.MaxValue ? int.MaxValue : (int)value;
                }
            }
            else if (wireType == 2 && TryVarint(message, ref i, out var skip) && skip <= (ulong)(message.Length - i))
            {
                i += (int)skip;
            }
            else
            {
                return null;
            }
        }

        return status;
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int index, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && index < data.Length; shift += 7)
        {
            var b = data[index++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxResponseBytes];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return buffer.AsSpan(0, total).ToArray();
        }
    }

    /// <summary>A header from the trailers, or from the headers of a trailers-only answer.</summary>
    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var values) || response.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;
}
