using System.Globalization;
using Spectre.Console;

namespace Usher.Cli.Batch;

/// <summary>
/// Shows how far a run is. On a terminal: a Spectre.Console progress bar with percent, rows per
/// second and the time left. Otherwise (a log, a pod): one line to stderr every 10 seconds.
/// </summary>
internal sealed class BatchProgress
{
    /// <summary>How often a plain progress line is written.</summary>
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(10);

    private readonly TextWriter _error;
    private readonly TimeProvider _time;
    private readonly long _total;
    private readonly long _startRows;
    private long _rows;
    private long _errors;

    public BatchProgress(TextWriter error, TimeProvider time, long total, long alreadyDone)
    {
        _error = error;
        _time = time;
        _total = total;
        _startRows = alreadyDone;
        _rows = alreadyDone;
    }

    /// <summary>Rows done (committed), earlier runs' included.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Rows that went to the errors file, earlier runs' included.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Counts errors committed by an earlier run.</summary>
    public void AddEarlierErrors(long errors) => Interlocked.Add(ref _errors, errors);

    /// <summary>True when the progress bar can be drawn: stderr is an interactive, ANSI terminal.</summary>
    public static bool CanDraw(TextWriter error)
        => ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && !Console.IsOutputRedirected
            && AnsiConsole.Profile.Capabilities is { Interactive: true, Ansi: true };

    /// <summary>Runs <paramref name="work"/>, which calls <see cref="Advance"/>, while showing progress.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (CanDraw(_error))
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RowsPerSecondColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("scoring", maxValue: Math.Max(1, _total));
                    task.Value = _startRows;
                    using var stop = new CancellationTokenSource();
                    var ticker = TickAsync(() => task.Value = Rows, TimeSpan.FromMilliseconds(200), stop.Token);
                    try
                    {
                        return await work().ConfigureAwait(false);
                    }
                    finally
                    {
                        await stop.CancelAsync().ConfigureAwait(false);
                        await ticker.ConfigureAwait(false);
                        task.Value = Rows;
                    }
                }).ConfigureAwait(false);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = _time.GetTimestamp();
        var lines = TickAsync(() => _error.WriteLine(Line(_time.GetElapsedTime(started))), LineInterval, cts.Token);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await lines.ConfigureAwait(false);
        }
    }

    /// <summary>Counts a committed chunk.</summary>
    public void Advance(long rows, long errors)
    {
        Interlocked.Add(ref _rows, rows);
        Interlocked.Add(ref _errors, errors);
    }

    /// <summary>The plain progress line after <paramref name="elapsed"/>.</summary>
    public string Line(TimeSpan elapsed)
    {
        var rows = Rows;
        var rate = elapsed > TimeSpan.Zero ? (rows - _startRows) / elapsed.TotalSeconds : 0;
        var percent = _total > 0 ? 100.0 * rows / _total : 100;
        var eta = rate > 0 ? TimeSpan.FromSeconds((_total - rows) / rate) : (TimeSpan?)null;
        return string.Create(CultureInfo.InvariantCulture, $"usher batch: {rows:N0}/{_total:N0} rows ({percent:F1}%), {Errors:N0} errors, {rate:N0} rows/s, ETA {(eta is { } e ? BatchSummary.Duration(e) : "unknown")}");
    }

    private async Task TickAsync(Action tick, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                tick();
            }
        }
        catch (OperationCanceledException)
        {
            // The work is done.
        }
    }
}
