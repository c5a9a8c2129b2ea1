using SharpFuzz;
using Usher.Fuzz;

// usher-fuzz TARGET              run under afl-fuzz (run.sh starts it): reads each input AFL gives
// usher-fuzz TARGET FILE...      replay files once each, outside the fuzzer (a crash's input, the corpus)
var targets = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
{
    ["json"] = JsonTarget.Run,
    ["binary"] = BinaryTarget.Run,
    ["grpc"] = GrpcTarget.Run,
    ["config"] = ConfigTarget.Run,
};

if (args.Length == 0 || !targets.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Usher.Fuzz {string.Join('|', targets.Keys)} [FILE...]");
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args[1..])
    {
        target(File.ReadAllBytes(file));
    }

    Console.WriteLine($"{args[0]}: {args.Length - 1} inputs replayed, no failure");
    return 0;
}

// Out of process: a stack overflow or an abort in the target is seen as a crash, not the harness's death.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
