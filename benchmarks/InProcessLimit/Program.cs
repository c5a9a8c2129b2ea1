// The compute limit for the comparison in docs/benchmarks.md: ONNX Runtime called in-process, no server,
// no serialization. For each batch size, rows per second over a fixed time, under the better of two
// threading set-ups for the machine: one caller per core with one intra-op thread each, and one caller
// with ONNX Runtime's default intra-op pool (--setups per-core or pooled measures only one, e.g. to
// profile one set-up with perf). --outputs bound binds each caller's inputs and outputs once (I/O
// binding, as usher's direct path does), bound-copy also copies each batch in from and out to buffers of
// 8,192 rows (as usher batch does with a row group's values); the default lets ONNX Runtime allocate
// the outputs of every run. Prints one JSON line per batch size.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

string? modelPath = null;
var name = "model";
int[] batches = [1, 4, 16, 64];
var seconds = 3.0;
var setups = "both";
var outputsMode = "allocated";
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--model": modelPath = args[i + 1]; break;
        case "--name": name = args[i + 1]; break;
        case "--batches": batches = [.. args[i + 1].Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))]; break;
        case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--setups": setups = args[i + 1]; break;
        case "--outputs": outputsMode = args[i + 1]; break;
        default:
            Console.Error.WriteLine($"InProcessLimit: unknown argument '{args[i]}'; usage: InProcessLimit --model FILE [--name NAME] [--batches 1,4,16,64] [--seconds S] [--setups both|per-core|pooled] [--outputs allocated|bound|bound-copy]");
            return 2;
    }
}

if (modelPath is null || !File.Exists(modelPath))
{
    Console.Error.WriteLine("InProcessLimit: --model FILE (an .onnx file) is required");
    return 2;
}

if (setups is not ("both" or "per-core" or "pooled"))
{
    Console.Error.WriteLine($"InProcessLimit: --setups '{setups}': expected both, per-core or pooled");
    return 2;
}

if (outputsMode is not ("allocated" or "bound" or "bound-copy"))
{
    Console.Error.WriteLine($"InProcessLimit: --outputs '{outputsMode}': expected allocated, bound or bound-copy");
    return 2;
}

var cores = Environment.ProcessorCount;
foreach (var batch in batches)
{
    var perCore = setups != "pooled" ? Measure(modelPath, batch, seconds, callers: cores, intraOpThreads: 1, outputsMode) : (0, 0);
    var pooled = setups != "per-core" ? Measure(modelPath, batch, seconds, callers: 1, intraOpThreads: 0, outputsMode) : (0, 0);
    var ((best, cpu), setup) = perCore.RunsPerSecond >= pooled.RunsPerSecond ? (perCore, $"{cores} callers x 1 intra-op thread") : (pooled, "1 caller, default intra-op pool");
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = name,
        ["batch"] = batch,
        ["rows_per_second"] = Math.Round(best * batch, 1),
        ["runs_per_second"] = Math.Round(best, 1),
        // CPU time of the process per row while timed: unlike rows/s, it holds on a loaded machine.
        ["cpu_us_per_row"] = Math.Round(cpu * 1e6 / batch, 2),
        ["setup"] = setup,
        ["outputs"] = outputsMode,
    }));
}

return 0;

// Runs per second of `callers` threads calling Run back to back on one shared session, after a warm-up,
// and the process's CPU seconds per run over the same window.
static (double RunsPerSecond, double CpuPerRun) Measure(string modelPath, int batch, double seconds, int callers, int intraOpThreads, string outputsMode)
{
    using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads, InterOpNumThreads = 1 };
    using var session = new InferenceSession(modelPath, options);
    var inputNames = session.InputMetadata.Keys.ToArray();
    var outputNames = session.OutputMetadata.Keys.ToArray();
    var random = new Random(1);
    var inputs = session.InputMetadata.Values.Select(meta =>
    {
        var shape = meta.Dimensions.Select((d, i) => d < 0 ? (i == 0 ? batch : 1) : d).Select(d => (long)d).ToArray();
        var data = new float[shape.Aggregate(1L, (a, d) => a * d)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return OrtValue.CreateTensorValueFromMemory(data, shape);
    }).ToArray();

    using var runOptions = new RunOptions();
    var disposables = new List<IDisposable>();
    Action Runner()
    {
        if (outputsMode == "allocated")
        {
            return () =>
            {
                using var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
            };
        }

        // One binding per caller, made once: the outputs are ONNX Runtime's buffers of the batch's shape.
        var binding = session.CreateIoBinding();
        disposables.Add(binding);
        var copy = outputsMode == "bound-copy";
        var slots = Math.Max(1, 8192 / batch);
        var own = new List<(float[] Batch, float[] Rows)>();
        for (var i = 0; i < inputNames.Length; i++)
        {
            var value = inputs[i];
            if (copy)
            {
                // The caller's own input, filled from a row group's worth of values before each run.
                var shape = value.GetTensorTypeAndShape().Shape;
                var data = new float[value.GetTensorTypeAndShape().ElementCount];
                var rows = new float[data.Length * slots];
                for (var j = 0; j < rows.Length; j++)
                {
                    rows[j] = (float)((random.NextDouble() * 2) - 1);
                }

                value = OrtValue.CreateTensorValueFromMemory(data, shape);
                disposables.Add(value);
                own.Add((data, rows));
            }

            binding.BindInput(inputNames[i], value);
        }

        var bound = new List<(OrtValue Value, byte[] Rows)>();
        foreach (var (name, meta) in session.OutputMetadata)
        {
            var shape = meta.Dimensions.Select((d, i) => d < 0 ? (i == 0 ? batch : 1) : d).Select(d => (long)d).ToArray();
            var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, meta.ElementDataType, shape);
            disposables.Add(value);
            binding.BindOutput(name, value);
            bound.Add((value, new byte[value.GetTensorMutableRawData().Length * slots]));
        }

        var slot = 0;
        return () =>
        {
            if (copy)
            {
                foreach (var (data, rows) in own)
                {
                    rows.AsSpan(slot * data.Length, data.Length).CopyTo(data);
                }
            }

            session.RunWithBinding(runOptions, binding);
            if (copy)
            {
                foreach (var (value, rows) in bound)
                {
                    var bytes = value.GetTensorMutableRawData();
                    bytes.CopyTo(rows.AsSpan(slot * bytes.Length));
                }

                slot = (slot + 1) % slots;
            }
        };
    }

    var warmup = Runner();
    var warmupUntil = Stopwatch.GetTimestamp() + (long)(Math.Min(1, seconds / 4) * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < warmupUntil)
    {
        warmup();
    }

    var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var counts = new long[callers];
    var threads = Enumerable.Range(0, callers).Select(c =>
    {
        var run = Runner();
        return new Thread(() =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                run();
                counts[c]++;
            }
        });
    }).ToList();
    var cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
    var started = Stopwatch.GetTimestamp();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStarted).TotalSeconds;
    foreach (var disposable in disposables.AsEnumerable().Reverse())
    {
        disposable.Dispose();
    }

    foreach (var input in inputs)
    {
        input.Dispose();
    }

    var runs = counts.Sum();
    return (runs / elapsed, runs > 0 ? cpu / runs : 0);
}
