namespace ServiceProxy.Host.Following;

/// <summary>
/// Following a remote Kubernetes API (<c>--kubeconfig</c> or <c>--master</c>): where it is, how
/// stale the followed state may get before <c>/readyz</c> fails, and the bounds of what is read.
/// Bound from the <c>RemoteApi</c> section.
/// </summary>
internal sealed class RemoteApiOptions
{
    /// <summary>A kubeconfig file: its current context's server and credentials (token, client certificate, CA).</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The API server's URL (<c>https://10.0.0.1:6443</c>); overrides the kubeconfig's server.</summary>
    public string? Master { get; set; }

    /// <summary>A file holding the bearer token sent to <see cref="Master"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>How long the node may be out of touch with the API before <c>/readyz</c> fails.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait after a failed list or watch; each failure in a row doubles it, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between attempts while the API fails.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one watch request lasts (timeoutSeconds, made up to a quarter longer at random) before it is renewed.</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long one list page may take before it is given up and the list retried after a back-off, as
    /// kube-apiserver bounds a list (its <c>--request-timeout</c>, one minute).
    /// </summary>
    public TimeSpan ListTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Objects a list asks for per page (<c>limit</c>).</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>Most Services, and most EndpointSlices (or Endpoints), the node keeps; a list with more fails and is retried.</summary>
    public int MaxObjects { get; set; } = 100_000;

    /// <summary>Longest watch event (one JSON line), and longest list page, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Whether a remote API is followed at all.</summary>
    public bool Enabled => !string.IsNullOrEmpty(Kubeconfig) || !string.IsNullOrEmpty(Master);
}
