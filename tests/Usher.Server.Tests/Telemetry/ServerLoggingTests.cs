using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Server.Telemetry;

namespace Usher.Server.Tests.Telemetry;

public sealed class ServerLoggingTests
{
    [Fact]
    public void TextFormat_TurnsOffTheHostingLogger_SoRequestsStartNoActivityOrScope()
    {
        using var services = Logging(ServerLogging.Text);
        var factory = services.GetRequiredService<ILoggerFactory>();

        // ASP.NET Core starts an Activity and a scope per request while this logger is enabled at Critical.
        Assert.False(factory.CreateLogger(ServerLogging.HostingDiagnostics).IsEnabled(LogLevel.Critical));

        // The rest of ASP.NET Core still logs its warnings and errors.
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware").IsEnabled(LogLevel.Error));
    }

    [Fact]
    public void JsonFormat_KeepsTheHostingLogger_ForThePerRequestScope()
    {
        // The JSON log writes RequestId, RequestPath and the trace id of every event from that scope.
        using var services = Logging(ServerLogging.Json);
        Assert.True(services.GetRequiredService<ILoggerFactory>().CreateLogger(ServerLogging.HostingDiagnostics).IsEnabled(LogLevel.Critical));
    }

    private static ServiceProvider Logging(string format)
        => new ServiceCollection().AddLogging(logging =>
        {
            ServerLogging.Configure(logging, format);

            // As UsherServer adds after it.
            logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }).BuildServiceProvider();
}
