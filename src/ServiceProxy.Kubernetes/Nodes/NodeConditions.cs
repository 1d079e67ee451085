using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Nodes;

/// <summary>Replacing one condition of a Node's status, keeping the others in place.</summary>
internal static class NodeConditions
{
    /// <summary>
    /// <paramref name="node"/> with its Ready condition set to <paramref name="status"/>: the transition
    /// time moves only when the status changes, the heartbeat time only when given.
    /// </summary>
    public static Node WithReady(Node node, string status, string reason, string message, DateTimeOffset now, DateTimeOffset? heartbeat)
    {
        var conditions = node.Status?.Conditions ?? [];
        var current = conditions.FirstOrDefault(c => c.Type == NodeConditionTypes.Ready);
        var ready = new NodeCondition
        {
            Type = NodeConditionTypes.Ready,
            Status = status,
            Reason = reason,
            Message = message,
            LastHeartbeatTime = heartbeat ?? current?.LastHeartbeatTime,
            LastTransitionTime = current?.Status == status ? current.LastTransitionTime ?? now : now,
        };
        IReadOnlyList<NodeCondition> updated = current is null
            ? [.. conditions, ready]
            : [.. conditions.Select(c => c.Type == NodeConditionTypes.Ready ? ready : c)];
        return node with { Status = (node.Status ?? new NodeStatus()) with { Conditions = updated } };
    }
}
