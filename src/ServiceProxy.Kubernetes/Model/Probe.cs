namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// A container probe (Kubernetes <c>Probe</c>): exactly one handler (<see cref="Exec"/>,
/// <see cref="HttpGet"/>, <see cref="TcpSocket"/> or <see cref="Grpc"/>) and its timing. Unset
/// timings are defaulted on write as Kubernetes does: timeout 1 s, period 10 s, success threshold 1,
/// failure threshold 3.
/// </summary>
public sealed record Probe
{
    /// <summary>A command run in the container; ServiceProxy cannot run it and reports the container not ready.</summary>
    public ExecAction? Exec { get; init; }

    /// <summary>An HTTP GET whose status 200–399 means success.</summary>
    public HttpGetAction? HttpGet { get; init; }

    /// <summary>A TCP connect that succeeds when the port accepts.</summary>
    public TcpSocketAction? TcpSocket { get; init; }

    /// <summary>A call to the standard gRPC health service (<c>grpc.health.v1.Health/Check</c>).</summary>
    public GrpcAction? Grpc { get; init; }

    /// <summary>Seconds after the container is first seen before the first probe.</summary>
    public int InitialDelaySeconds { get; init; }

    /// <summary>Seconds one probe may take before it counts as failed.</summary>
    public int TimeoutSeconds { get; init; }

    /// <summary>Seconds between probes.</summary>
    public int PeriodSeconds { get; init; }

    /// <summary>Consecutive successes after a failure before the container is ready again.</summary>
    public int SuccessThreshold { get; init; }

    /// <summary>Consecutive failures before a ready container is not ready.</summary>
    public int FailureThreshold { get; init; }

    /// <summary>Only for liveness and startup probes; a readiness probe must leave it unset.</summary>
    public long? TerminationGracePeriodSeconds { get; init; }
}

/// <summary>A command probe (Kubernetes <c>ExecAction</c>).</summary>
public sealed record ExecAction
{
    /// <summary>The command and its arguments.</summary>
    public IReadOnlyList<string>? Command { get; init; }
}

/// <summary>An HTTP GET probe (Kubernetes <c>HTTPGetAction</c>).</summary>
public sealed record HttpGetAction
{
    /// <summary>The path; defaults to <c>/</c>.</summary>
    public string? Path { get; init; }

    /// <summary>The port, by number or by the name of one of the container's ports.</summary>
    public IntOrString? Port { get; init; }

    /// <summary>The host to connect to; defaults to the Pod's IP.</summary>
    public string? Host { get; init; }

    /// <summary><c>HTTP</c> or <c>HTTPS</c> (certificates are not verified); defaults to <c>HTTP</c>.</summary>
    public string? Scheme { get; init; }

    /// <summary>Headers sent with the request; a <c>Host</c> header sets the request's host.</summary>
    public IReadOnlyList<HttpHeader>? HttpHeaders { get; init; }
}

/// <summary>A header of an HTTP probe.</summary>
public sealed record HttpHeader
{
    /// <summary>The header's name.</summary>
    public string? Name { get; init; }

    /// <summary>The header's value.</summary>
    public string? Value { get; init; }
}

/// <summary>A TCP connect probe (Kubernetes <c>TCPSocketAction</c>).</summary>
public sealed record TcpSocketAction
{
    /// <summary>The port, by number or by the name of one of the container's ports.</summary>
    public IntOrString? Port { get; init; }

    /// <summary>The host to connect to; defaults to the Pod's IP.</summary>
    public string? Host { get; init; }
}

/// <summary>A gRPC health probe (Kubernetes <c>GRPCAction</c>).</summary>
public sealed record GrpcAction
{
    /// <summary>The port number (names are not allowed).</summary>
    public int Port { get; init; }

    /// <summary>The service name passed to the health check; empty asks about the server as a whole.</summary>
    public string? Service { get; init; }
}

/// <summary>The status of one container (Kubernetes <c>ContainerStatus</c>), as far as readiness goes.</summary>
public sealed record ContainerStatus
{
    /// <summary>The container's name.</summary>
    public string? Name { get; init; }

    /// <summary>Whether the container passes its readiness probe.</summary>
    public bool Ready { get; init; }

    /// <summary>How many times the container restarted (nothing restarts here).</summary>
    public int RestartCount { get; init; }

    /// <summary>The container's image.</summary>
    public string? Image { get; init; }

    /// <summary>Whether the container has started.</summary>
    public bool? Started { get; init; }
}
