using Microsoft.Extensions.Logging;

namespace Usher.Server.Tests.Access;

/// <summary>A logger that keeps every message it is given, with its event id, level and category, for tests to read.</summary>
internal sealed class ListLogger : ILogger, ILoggerProvider
{
    private readonly List<(int EventId, string Message, LogLevel Level, string Category)> _entries;
    private readonly string _category;

    public ListLogger()
        : this(string.Empty, [])
    {
    }

    private ListLogger(string category, List<(int EventId, string Message, LogLevel Level, string Category)> entries)
    {
        _category = category;
        _entries = entries;
    }

    public IReadOnlyList<(int EventId, string Message, LogLevel Level, string Category)> Entries
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
            _entries.Add((eventId.Id, formatter(state, exception), logLevel, _category));
        }
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(categoryName, _entries);

    public void Dispose()
    {
    }
}
