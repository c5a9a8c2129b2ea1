using CompareReport;

string? results = null, inprocess = null, wrk = null, delayedBatching = null, output = null, command = null, sdk = null, batching = null, loadBefore = null, loadAfter = null, date = null;
var appendices = new List<string>();
var smoke = false;
var inlineScheduling = false;
var rounds = 1;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--results": results = Next(); break;
        case "--inprocess": inprocess = Next(); break;
        case "--wrk": wrk = Next(); break;
        case "--delayed-batching": delayedBatching = Next(); break;
        case "--output": output = Next(); break;
        case "--command": command = Next(); break;
        case "--sdk": sdk = Next(); break;
        case "--batching": batching = Next(); break;
        case "--load-before": loadBefore = Next(); break;
        case "--load-after": loadAfter = Next(); break;
        case "--date": date = Next(); break;
        case "--appendix": appendices.Add(Next()); break;
        case "--smoke": smoke = true; break;
        case "--inline-scheduling":
            var inline = Next();
            if (inline is not ("0" or "1"))
            {
                Console.Error.WriteLine($"CompareReport: --inline-scheduling expects 1 (the Usher servers ran usher serve --inline-scheduling) or 0; got '{inline}'");
                return 2;
            }

            inlineScheduling = inline == "1";
            break;
        case "--rounds":
            var value = Next();
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out rounds) || rounds < 1)
            {
                Console.Error.WriteLine($"CompareReport: --rounds expects a whole number of rounds, 1 or more; got '{value}'");
                return 2;
            }

            break;
        default:
            Console.Error.WriteLine($"CompareReport: unknown argument '{args[i]}'");
            return 2;
    }
}

if (results is null || inprocess is null || output is null || command is null || batching is null)
{
    Console.Error.WriteLine("CompareReport: --results, --inprocess, --output, --command and --batching are required (benchmarks/compare/run.sh passes them)");
    return 2;
}

var points = File.ReadLines(results).Where(l => !string.IsNullOrWhiteSpace(l)).SelectMany(Point.Read).ToList();
var limits = File.ReadLines(inprocess).Where(l => !string.IsNullOrWhiteSpace(l)).Select(InProcessPoint.Read).ToList();
var context = new RunContext(command, sdk, date ?? DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture), smoke, batching, loadBefore, loadAfter, MachineInfo.Current(), delayedBatching, rounds, inlineScheduling);
List<WrkPoint> wrkPoints = wrk is null || !File.Exists(wrk) ? [] : File.ReadLines(wrk).Where(l => !string.IsNullOrWhiteSpace(l)).Select(WrkPoint.Read).ToList();
var markdown = new ComparisonReport(points, limits, context, wrkPoints).Render();
foreach (var appendix in appendices.Where(File.Exists))
{
    markdown += Environment.NewLine + File.ReadAllText(appendix);
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, markdown);
return 0;
