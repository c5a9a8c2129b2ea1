// The edge sample: the fraud model embedded in a console app. Reads one transaction per line from
// stdin (30 comma-separated features), writes the fraud probability per line to stdout.
//   edge-scorer [REPOSITORY] [--watch SECONDS]
// REPOSITORY defaults to the models folder beside the executable. With --watch, new versions that
// `usher pull` places there are loaded and used without a restart; the last good one keeps serving.
using System.Diagnostics;
using System.Globalization;
using Usher.Engine;

var started = Stopwatch.GetTimestamp();
var repository = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : Path.Combine(AppContext.BaseDirectory, "models");
var watch = Array.IndexOf(args, "--watch") is var at and >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 0;

var options = new UsherEngineOptions();
options.Repository.Path = repository;
options.Repository.PollSeconds = watch;

// Serve whatever loaded: a broken new version must not stop the device.
options.Repository.StrictReadiness = false;
await using var engine = await UsherEngine.OpenAsync(options);
using var session = engine.GetSession("fraud");
var features = new float[session.InputRowLength];
var probabilities = new float[session.OutputRowLength];
Console.Error.WriteLine($"edge-scorer: fraud version {session.Version} ready in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");

using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
var lineNumber = 0;
while (Console.In.ReadLine() is { } line)
{
    lineNumber++;
    if (!Parse(line, features))
    {
        Console.Error.WriteLine($"edge-scorer: line {lineNumber}: expected {features.Length} comma-separated numbers");
        output.WriteLine("error");
        continue;
    }

    session.Run(features, probabilities);
    output.WriteLine(probabilities[1].ToString("0.000000", CultureInfo.InvariantCulture));
}

output.Flush();
return 0;

static bool Parse(ReadOnlySpan<char> line, Span<float> features)
{
    var i = 0;
    foreach (var range in line.Split(','))
    {
        if (i == features.Length || !float.TryParse(line[range], NumberStyles.Float, CultureInfo.InvariantCulture, out features[i]))
        {
            return false;
        }

        i++;
    }

    return i == features.Length;
}
