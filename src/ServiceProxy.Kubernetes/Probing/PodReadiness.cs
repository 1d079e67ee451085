using System.Text.Json;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// The status the kubelet would write for a probed Pod: <c>containerStatuses[].ready</c> from each
/// container's probe (a container without a readiness probe is ready), and <c>ContainersReady</c> and
/// <c>Ready</c> true only when every container is. The kubelet's condition message names the unready
/// containers; the Ready condition also carries each one's last probe failure, which Kubernetes
/// would report as an event.
/// </summary>
internal static class PodReadiness
{
    public const string ContainersReady = "ContainersReady";
    public const string Ready = "Ready";

    /// <summary>The Pod's status with the readiness <paramref name="workers"/> decide; other fields as they are.</summary>
    public static PodStatus Apply(Pod pod, IReadOnlyCollection<ProbeWorker> workers, DateTimeOffset now)
    {
        var status = pod.Status ?? new PodStatus();
        var containers = pod.Spec?.Containers ?? [];
        var statuses = new List<ContainerStatus>(containers.Count);
        var unready = new List<string>();
        var failures = new List<string>();
        foreach (var container in containers)
        {
            var worker = workers.FirstOrDefault(w => w.Container == container.Name);
            var existing = status.ContainerStatuses?.FirstOrDefault(s => s.Name == container.Name);
            var ready = worker?.Ready ?? true;
            if (!ready)
            {
                unready.Add(container.Name!);
                if (worker!.Message.Length > 0)
                {
                    failures.Add($"{container.Name}: {worker.Message}");
                }
            }

            statuses.Add(new ContainerStatus
            {
                Name = container.Name,
                Ready = ready,
                RestartCount = existing?.RestartCount ?? 0,
                Image = container.Image ?? existing?.Image,
                Started = true,
            });
        }

        var containersMessage = unready.Count == 0 ? null : $"containers with unready status: [{string.Join(' ', unready)}]";
        var readyMessage = failures.Count == 0 ? containersMessage : $"{containersMessage}; {string.Join("; ", failures)}";
        var conditions = (status.Conditions ?? []).Where(c => c.Type is not (Ready or ContainersReady)).ToList();
        conditions.Add(Condition(status, ContainersReady, unready.Count == 0, containersMessage, now));
        conditions.Add(Condition(status, Ready, unready.Count == 0, readyMessage, now));
        return status with { ContainerStatuses = statuses, Conditions = conditions };
    }

    /// <summary>True when both statuses say the same (lists compared by content).</summary>
    public static bool Same(PodStatus? a, PodStatus? b) =>
        JsonSerializer.Serialize(a, KubeJson.Options) == JsonSerializer.Serialize(b, KubeJson.Options);

    private static PodCondition Condition(PodStatus status, string type, bool ready, string? message, DateTimeOffset now)
    {
        var value = ready ? "True" : "False";
        var existing = status.Conditions?.FirstOrDefault(c => c.Type == type);
        return new PodCondition
        {
            Type = type,
            Status = value,
            Reason = ready ? null : "ContainersNotReady",
            Message = message,
            LastTransitionTime = existing?.Status == value && existing.LastTransitionTime is { } since ? since : TruncateToSeconds(now),
        };
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset);
}
