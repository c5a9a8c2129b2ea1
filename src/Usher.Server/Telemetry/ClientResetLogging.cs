using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Usher.Server.Telemetry;

/// <summary>
/// Logs Kestrel's "automatic draining of the request body failed because the body reader is in an
/// invalid state" (category <c>Microsoft.AspNetCore.Server.Kestrel</c>, event 67,
/// <c>RequestBodyDrainBodyReaderInvalidState</c>) at Debug instead of Error. Kestrel writes it after a
/// request whose client reset the connection in the middle of the body: the handler's read failed,
/// and Kestrel's drain of the rest finds the reader broken. A client going away is not a server fault
/// (<c>ErrorHandlingExtensions</c> logs it at Debug too). Logging filters see a category and a level,
/// not an event, so the server's <see cref="ILoggerFactory"/> wraps Kestrel's logger and rewrites the
/// level of this one event; every other event of every category is passed on unchanged.
/// </summary>
internal sealed class ClientResetLogging(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>Kestrel's general log category.</summary>
    public const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>Kestrel's id of the event (ASP.NET Core 8 and later).</summary>
    public const int DrainFailedEventId = 67;

    /// <summary>Kestrel's name of the event, checked with the id so that a renumbering demotes nothing else.</summary>
    public const string DrainFailedEventName = "RequestBodyDrainBodyReaderInvalidState";

    /// <summary>Makes the server's logger factory one of these, over the factory the host would build (the same providers, filters and scopes).</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddLogging();
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(provider => new ClientResetLogging(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>()))));
    }

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return string.Equals(categoryName, KestrelCategory, StringComparison.Ordinal) ? new Demoting(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class Demoting(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var level = eventId.Id == DrainFailedEventId && string.Equals(eventId.Name, DrainFailedEventName, StringComparison.Ordinal)
                ? LogLevel.Debug
                : logLevel;
            inner.Log(level, eventId, state, exception, formatter);
        }
    }
}
