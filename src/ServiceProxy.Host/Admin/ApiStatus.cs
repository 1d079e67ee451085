using System.Text.Json.Serialization;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Host.Admin;

/// <summary>A Kubernetes meta/v1 <c>Status</c>: the body of every failed API request.</summary>
internal sealed record ApiStatus
{
    [JsonPropertyOrder(-3)]
    public string Kind => "Status";

    [JsonPropertyOrder(-2)]
    public string ApiVersion => "v1";

    [JsonPropertyOrder(-1)]
    public Dictionary<string, string> Metadata { get; init; } = [];

    /// <summary><c>Failure</c> or <c>Success</c>.</summary>
    public string Status { get; init; } = "Failure";

    public string? Message { get; init; }

    public string? Reason { get; init; }

    public StatusDetails? Details { get; init; }

    public int Code { get; init; }

    public static ApiStatus Failure(int code, string reason, string message, StatusDetails? details = null) =>
        new() { Code = code, Reason = reason, Message = message, Details = details };

    public static ApiStatus NotFound(string resource, string name) =>
        Failure(404, "NotFound", $"{resource} \"{name}\" not found", new StatusDetails { Name = name, Kind = resource });

    public static ApiStatus AlreadyExists(string resource, string name) =>
        Failure(409, "AlreadyExists", $"{resource} \"{name}\" already exists", new StatusDetails { Name = name, Kind = resource });

    public static ApiStatus Conflict(string resource, string name) =>
        Failure(
            409,
            "Conflict",
            $"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            new StatusDetails { Name = name, Kind = resource });

    /// <summary>422, message as kube-apiserver writes it: <c>Service "x" is invalid: field: reason</c>.</summary>
    public static ApiStatus Invalid(string kind, string name, IReadOnlyList<FieldError> causes)
    {
        var summary = causes.Count == 1 ? causes[0].ToString() : $"[{string.Join(", ", causes)}]";
        return Failure(
            422,
            "Invalid",
            $"{kind} \"{name}\" is invalid: {summary}",
            new StatusDetails
            {
                Name = name,
                Kind = kind,
                Causes = [.. causes.Select(c => new StatusCause(c.Reason, c.Message, c.Field))],
            });
    }

    public static ApiStatus Expired(string message) => Failure(410, "Expired", message);

    public static ApiStatus BadRequest(string message) => Failure(400, "BadRequest", message);

    public static ApiStatus MethodNotAllowed(string method) =>
        Failure(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({method})");

    public static ApiStatus UnsupportedMediaType() =>
        Failure(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: " + string.Join(", ", RequestBody.AcceptedMediaTypes));

    public static ApiStatus Unauthorized() => Failure(401, "Unauthorized", "Unauthorized");

    public static ApiStatus Forbidden(string message) => Failure(403, "Forbidden", message);

    /// <summary>kube-apiserver's answer when its max-in-flight limit is reached; the client should retry after a second.</summary>
    public static ApiStatus TooManyRequests() =>
        Failure(429, "TooManyRequests", "Too many requests, please try again later.", new StatusDetails { RetryAfterSeconds = 1 });

    public static ApiStatus ResourceNotFound() => Failure(404, "NotFound", "the server could not find the requested resource");

    /// <summary>The Status for a refused store operation on <paramref name="resource"/>.</summary>
    public static ApiStatus FromStore(ObjectStoreException e, KubeResource resource, string? name)
    {
        var objectName = string.IsNullOrEmpty(e.Name) ? name ?? string.Empty : e.Name;
        return e.Reason switch
        {
            StoreErrorReason.NotFound => NotFound(resource.Plural, objectName),
            StoreErrorReason.AlreadyExists => AlreadyExists(resource.Plural, objectName),
            StoreErrorReason.Conflict when e.Causes.Count > 0 => Invalid(resource.Kind, objectName, e.Causes),
            StoreErrorReason.Conflict => Conflict(resource.Plural, objectName),
            StoreErrorReason.Invalid when e.Causes.Count > 0 => Invalid(resource.Kind, objectName, e.Causes),
            StoreErrorReason.Invalid => Failure(422, "Invalid", e.Message, new StatusDetails { Name = objectName, Kind = resource.Kind }),
            StoreErrorReason.Gone => Expired(e.Message),
            _ => Failure(500, "InternalError", e.Message),
        };
    }
}

internal sealed record StatusDetails
{
    public string? Name { get; init; }

    public string? Group { get; init; }

    public string? Kind { get; init; }

    public IReadOnlyList<StatusCause>? Causes { get; init; }

    public int? RetryAfterSeconds { get; init; }
}

internal sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>A request that fails with a <see cref="ApiStatus"/>; thrown inside handlers, written by the API's error filter.</summary>
internal sealed class ApiException(ApiStatus status) : Exception(status.Message)
{
    public ApiStatus Status { get; } = status;
}
