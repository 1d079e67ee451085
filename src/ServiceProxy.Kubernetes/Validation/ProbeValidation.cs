using System.Text.RegularExpressions;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>Kubernetes' <c>validateProbe</c> and <c>validateHandler</c> for a container's readiness probe.</summary>
internal static partial class ProbeValidation
{
    private const string NegativeMessage = "must be greater than or equal to 0";
    private const string MoreThanOneHandler = "may not specify more than 1 handler type";
    private const string HeaderNameMessage =
        "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')";

    public static void ValidateReadinessProbe(Probe probe, string path, List<FieldError> errors)
    {
        ValidateHandler(probe, path, errors);
        NonNegative(probe.InitialDelaySeconds, path + ".initialDelaySeconds", errors);
        NonNegative(probe.TimeoutSeconds, path + ".timeoutSeconds", errors);
        NonNegative(probe.PeriodSeconds, path + ".periodSeconds", errors);
        NonNegative(probe.SuccessThreshold, path + ".successThreshold", errors);
        NonNegative(probe.FailureThreshold, path + ".failureThreshold", errors);
        if (probe.TerminationGracePeriodSeconds is { } grace)
        {
            if (grace <= 0)
            {
                errors.Add(new FieldError(path + ".terminationGracePeriodSeconds", FieldErrorType.Invalid, "must be greater than 0", grace));
            }

            errors.Add(new FieldError(path + ".terminationGracePeriodSeconds", FieldErrorType.Invalid, "must not be set for readinessProbes", grace));
        }
    }

    private static void ValidateHandler(Probe probe, string path, List<FieldError> errors)
    {
        var handlers = 0;
        if (probe.Exec is { } exec && Count(ref handlers, path + ".exec", errors) && (exec.Command?.Count ?? 0) == 0)
        {
            errors.Add(new FieldError(path + ".exec.command", FieldErrorType.Required));
        }

        if (probe.HttpGet is { } http && Count(ref handlers, path + ".httpGet", errors))
        {
            ValidateHttpGet(http, path + ".httpGet", errors);
        }

        if (probe.TcpSocket is { } tcp && Count(ref handlers, path + ".tcpSocket", errors))
        {
            ValidatePort(tcp.Port, path + ".tcpSocket.port", errors);
        }

        if (probe.Grpc is { } grpc && Count(ref handlers, path + ".grpc", errors))
        {
            errors.AddInvalid(path + ".grpc.port", grpc.Port, KubeNames.IsValidPortNum(grpc.Port));
        }

        if (handlers == 0)
        {
            errors.Add(new FieldError(path, FieldErrorType.Required, "must specify a handler type"));
        }
    }

    /// <summary>Counts a handler; a second one is Forbidden and not validated further, as in Kubernetes.</summary>
    private static bool Count(ref int handlers, string path, List<FieldError> errors)
    {
        if (handlers > 0)
        {
            errors.Add(new FieldError(path, FieldErrorType.Forbidden, MoreThanOneHandler));
            return false;
        }

        handlers++;
        return true;
    }

    private static void ValidateHttpGet(HttpGetAction http, string path, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(http.Path))
        {
            errors.Add(new FieldError(path + ".path", FieldErrorType.Required));
        }

        ValidatePort(http.Port, path + ".port", errors);
        if (http.Scheme is not ("HTTP" or "HTTPS"))
        {
            errors.AddNotSupported(path + ".scheme", http.Scheme ?? string.Empty, "HTTP", "HTTPS");
        }

        foreach (var header in http.HttpHeaders ?? [])
        {
            if (!HeaderName().IsMatch(header.Name ?? string.Empty))
            {
                errors.Add(new FieldError(path + ".httpHeaders", FieldErrorType.Invalid, HeaderNameMessage, header.Name ?? string.Empty));
            }
        }
    }

    /// <summary>ValidatePortNumOrName; an absent port is the number 0, which is out of range.</summary>
    private static void ValidatePort(IntOrString? port, string path, List<FieldError> errors) =>
        ServiceValidation.ValidatePortNumOrName(port ?? IntOrString.FromInt(0), path, errors);

    private static void NonNegative(int value, string path, List<FieldError> errors)
    {
        if (value < 0)
        {
            errors.Add(new FieldError(path, FieldErrorType.Invalid, NegativeMessage, value));
        }
    }

    [GeneratedRegex(@"^[-A-Za-z0-9]+\z")]
    private static partial Regex HeaderName();
}
