namespace ServiceProxy.Kubernetes.Events;

/// <summary>Settings of the event recorder and of the store that keeps its Events.</summary>
public sealed class EventOptions
{
    /// <summary>How long an Event is kept after it was last recorded (kube-apiserver's <c>--event-ttl</c>). Default 1 hour.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events kept at most; past it, the one recorded least recently goes. Default 10000.</summary>
    public int MaxEvents { get; set; } = 10_000;

    /// <summary>Events waiting to be recorded at most; an event that finds the queue full is dropped and counted. Default 1000.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Events one source may record about one object at once before it is rate-limited (client-go's burst). Default 25.</summary>
    public int Burst { get; set; } = 25;

    /// <summary>How often a rate-limited source and object earns one more event (client-go: one per 5 minutes). Default 5 minutes.</summary>
    public TimeSpan RefillInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The host named as every event's source; default the machine's name.</summary>
    public string? Host { get; set; }
}
