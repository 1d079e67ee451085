// The svcproxy host: commands are added by the host issue.
Console.WriteLine(typeof(ServiceProxy.ServiceProxyOptions).Assembly.GetName().Version);
return 0;
