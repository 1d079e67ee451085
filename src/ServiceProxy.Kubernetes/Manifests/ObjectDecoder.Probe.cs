using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Manifests;

internal sealed partial class ObjectDecoder
{
    private Probe DecodeProbe(YamlNode node, string path)
    {
        var probe = new Probe();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            probe = key switch
            {
                "exec" => probe with { Exec = DecodeExec(value, at) },
                "httpGet" => probe with { HttpGet = DecodeHttpGet(value, at) },
                "tcpSocket" => probe with { TcpSocket = DecodeTcpSocket(value, at) },
                "grpc" => probe with { Grpc = DecodeGrpc(value, at) },
                "initialDelaySeconds" => probe with { InitialDelaySeconds = context.Int(value, at) ?? 0 },
                "timeoutSeconds" => probe with { TimeoutSeconds = context.Int(value, at) ?? 0 },
                "periodSeconds" => probe with { PeriodSeconds = context.Int(value, at) ?? 0 },
                "successThreshold" => probe with { SuccessThreshold = context.Int(value, at) ?? 0 },
                "failureThreshold" => probe with { FailureThreshold = context.Int(value, at) ?? 0 },
                "terminationGracePeriodSeconds" => probe with { TerminationGracePeriodSeconds = context.Long(value, at) },
                _ => context.Unknown(probe, at, value),
            };
        }

        return probe;
    }

    private ExecAction DecodeExec(YamlNode node, string path)
    {
        var exec = new ExecAction();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            exec = key switch
            {
                "command" => exec with { Command = context.StringList(value, at) },
                _ => context.Unknown(exec, at, value),
            };
        }

        return exec;
    }

    private HttpGetAction DecodeHttpGet(YamlNode node, string path)
    {
        var action = new HttpGetAction();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            action = key switch
            {
                "path" => action with { Path = context.String(value, at) },
                "port" => action with { Port = context.IntOrString(value, at) },
                "host" => action with { Host = context.String(value, at) },
                "scheme" => action with { Scheme = context.String(value, at) },
                "httpHeaders" => action with { HttpHeaders = context.List(value, at, DecodeHttpHeader) },
                _ => context.Unknown(action, at, value),
            };
        }

        return action;
    }

    private HttpHeader DecodeHttpHeader(YamlNode node, string path)
    {
        var header = new HttpHeader();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            header = key switch
            {
                "name" => header with { Name = context.String(value, at) },
                "value" => header with { Value = context.String(value, at) },
                _ => context.Unknown(header, at, value),
            };
        }

        return header;
    }

    private TcpSocketAction DecodeTcpSocket(YamlNode node, string path)
    {
        var action = new TcpSocketAction();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            action = key switch
            {
                "port" => action with { Port = context.IntOrString(value, at) },
                "host" => action with { Host = context.String(value, at) },
                _ => context.Unknown(action, at, value),
            };
        }

        return action;
    }

    private GrpcAction DecodeGrpc(YamlNode node, string path)
    {
        var action = new GrpcAction();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            action = key switch
            {
                "port" => action with { Port = context.Int(value, at) ?? 0 },
                "service" => action with { Service = context.String(value, at) },
                _ => context.Unknown(action, at, value),
            };
        }

        return action;
    }
}
