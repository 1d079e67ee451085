using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Cli;

/// <summary>How kubectl words a failed request (<c>cmdutil.CheckErr</c>): the text users grep for.</summary>
internal static class ServerErrors
{
    /// <summary>
    /// <c>The Service "myapp" is invalid: spec.sessionAffinity: …</c> for Invalid with causes,
    /// <c>Error from server (NotFound): services "nope" not found</c> otherwise.
    /// </summary>
    public static string Format(int statusCode, JsonNode? body, string? context = null)
    {
        if (body is not JsonObject { } status || status["kind"]?.ToString() != "Status")
        {
            return $"error: the server responded with the status code {statusCode} but did not return more information";
        }

        var reason = status["reason"]?.ToString();
        var message = status["message"]?.ToString() ?? string.Empty;
        var details = status["details"] as JsonObject;
        if (reason == "Invalid" && details is not null)
        {
            var causes = (details["causes"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(c => string.IsNullOrEmpty(c["field"]?.ToString()) ? c["message"]?.ToString() : $"{c["field"]}: {c["message"]}")
                .ToList();
            var head = $"The {details["kind"]} \"{details["name"]}\" is invalid";
            if (causes.Count == 1)
            {
                return $"{head}: {causes[0]}";
            }

            if (causes.Count > 1)
            {
                var text = new StringBuilder(head).Append(": \n");
                foreach (var cause in causes)
                {
                    text.Append("* ").Append(cause).Append('\n');
                }

                return text.ToString().TrimEnd('\n');
            }
        }

        var prefix = context is null ? string.Empty : context + ": ";
        return string.IsNullOrEmpty(reason) ? $"Error from server: {prefix}{message}" : $"Error from server ({reason}): {prefix}{message}";
    }
}
