using System.Net;

namespace ServiceProxy.Host.Admin;

/// <summary>Who may call the admin API and how long its watches last: the <c>--admin*</c> and <c>--min-request-timeout</c> settings.</summary>
internal sealed record AdminApiOptions
{
    /// <summary>The bearer token every request but the health probes needs; none on loopback by default.</summary>
    public string? Token { get; init; }

    /// <summary>Where the admin API listens: its address is a Host header the API always accepts.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 8080);

    /// <summary>Host names accepted besides loopback addresses and <c>localhost</c>; <c>*.example.com</c> matches its subdomains.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Browser origins (<c>https://host:port</c>) allowed besides the API's own.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>kube-apiserver's <c>--min-request-timeout</c>: a watch without <c>timeoutSeconds</c> ends after 1–2× this.</summary>
    public TimeSpan MinRequestTimeout { get; init; } = TimeSpan.FromSeconds(1800);

    /// <summary>How often a watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK while it lasts (kube-apiserver: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);
}
