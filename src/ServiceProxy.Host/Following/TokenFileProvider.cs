using System.Net.Http.Headers;
using k8s.Authentication;

namespace ServiceProxy.Host.Following;

/// <summary>
/// The bearer token of <c>--token-file</c>, read again whenever the file changes (its write time or
/// size, looked at no more than once a second), so a rotated token (a projected service-account
/// token, a secret updated in place) is used from the next request on, without a restart. client-go
/// re-reads such a file once a minute; KubernetesClient's own TokenFileAuth does too, which would
/// leave a follower refused for up to a minute after a rotation that revokes the old token. A file
/// that cannot be read keeps the last token: the next look tries again.
/// </summary>
internal sealed class TokenFileProvider : ITokenProvider
{
    private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private AuthenticationHeaderValue _header;
    private (DateTime WriteTime, long Length) _read;
    private long _nextLook;

    /// <summary>Reads the token now.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public TokenFileProvider(string path, TimeProvider? time = null)
    {
        _path = path;
        _time = time ?? TimeProvider.System;
        var info = new FileInfo(path);
        _header = Read(path);
        _read = (info.LastWriteTimeUtc, info.Length);
        _nextLook = _time.GetTimestamp() + Ticks(LookEvery);
    }

    public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (now >= _nextLook)
            {
                _nextLook = now + Ticks(LookEvery);
                Refresh();
            }

            return Task.FromResult(_header);
        }
    }

    private void Refresh()
    {
        try
        {
            var info = new FileInfo(_path);
            var seen = (info.LastWriteTimeUtc, info.Length);
            if (seen != _read)
            {
                _header = Read(_path);
                _read = seen;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Mid-rotation (removed and not yet written again), or briefly unreadable: keep the last token.
        }
    }

    private static AuthenticationHeaderValue Read(string path) => new("Bearer", File.ReadAllText(path).Trim());

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
