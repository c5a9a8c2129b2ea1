using Microsoft.Extensions.Logging;

namespace Usher.Server.Tests.Access;

/// <summary>A logger that keeps every message it is given, with its event id, for tests to read.</summary>
internal sealed class ListLogger : ILogger, ILoggerProvider
{
    private readonly List<(int EventId, string Message)> _entries = [];

    public IReadOnlyList<(int EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((eventId.Id, formatter(state, exception)));
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }
}
