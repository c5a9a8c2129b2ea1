using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;
using Usher.Server.Protos;

namespace Usher.Cli.Batch;

/// <summary>
/// Scores on a running Usher over gRPC (<c>inference.GRPCInferenceService/ModelInfer</c> with raw
/// tensor contents): for scoring a file against a cluster instead of this machine. The model's
/// signature and batch size come from <c>ModelMetadata</c>.
/// </summary>
internal sealed class GrpcScorer : IBatchScorer
{
    private const int InFlightBatches = 8;
    private readonly GrpcChannel _channel;
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _client;

    private GrpcScorer(GrpcChannel channel, BatchModel model)
    {
        _channel = channel;
        _client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        Model = model;
    }

    /// <inheritdoc />
    public BatchModel Model { get; }

    /// <summary>Asks <paramref name="server"/> for the model's metadata; null with the problems when it cannot be used.</summary>
    public static async Task<GrpcScorer?> OpenAsync(Uri server, string model, long? version, List<string> problems, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { MaxReceiveMessageSize = 256 << 20, MaxSendMessageSize = 256 << 20 });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        try
        {
            var request = new ModelMetadataRequest { Name = model, Version = version?.ToString(CultureInfo.InvariantCulture) ?? string.Empty };
            var metadata = await client.ModelMetadataAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            var maxBatch = metadata.Properties.TryGetValue("max_batch_size", out var mb) && int.TryParse(mb, CultureInfo.InvariantCulture, out var n) ? n : 0;
            var served = metadata.Properties.TryGetValue("version", out var vs) && long.TryParse(vs, CultureInfo.InvariantCulture, out var sv) ? sv : version ?? 0;
            var view = BatchModel.From(model, served, maxBatch, Specs(metadata.Inputs, problems), Specs(metadata.Outputs, problems), InFlightBatches, problems);
            if (view is not null)
            {
                return new GrpcScorer(channel, view);
            }
        }
        catch (RpcException ex)
        {
            problems.Add(ex.StatusCode == StatusCode.NotFound
                ? $"--server {server}: {ex.Status.Detail}"
                : $"--server {server}: cannot read the metadata of model '{model}' ({ex.StatusCode}: {ex.Status.Detail}); is 'usher serve' listening for gRPC there (port 8001 by default)?");
        }

        channel.Dispose();
        return null;
    }

    /// <inheritdoc />
    public async ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
    {
        var request = new ModelInferRequest { ModelName = Model.Name, ModelVersion = Model.Version.ToString(CultureInfo.InvariantCulture) };
        foreach (var input in inputs)
        {
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input.Name, Datatype = input.DataType.ToProtocolName() };
            tensor.Shape.AddRange(input.Shape);
            request.Inputs.Add(tensor);
            request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(input.Data));
        }

        try
        {
            var response = await _client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(5), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            var outputs = new Tensor[Model.Outputs.Count];
            for (var i = 0; i < outputs.Length; i++)
            {
                var at = IndexOf(response, Model.Outputs[i].Name);
                if (at < 0 || at >= response.RawOutputContents.Count)
                {
                    return InferenceError.Internal($"the server's answer has no raw contents for output '{Model.Outputs[i].Name}'");
                }

                var o = response.Outputs[at];
                DataTypes.TryParse(o.Datatype, out var type);
                outputs[i] = Tensor.FromBytes(o.Name, type, [.. o.Shape], response.RawOutputContents[at].Memory);
            }

            return InferenceResult<IReadOnlyList<Tensor>>.Success(outputs);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ex.StatusCode == StatusCode.InvalidArgument
                ? InferenceError.Invalid(ex.Status.Detail)
                : InferenceError.Unavailable($"gRPC {ex.StatusCode}: {ex.Status.Detail}");
        }
        catch (ArgumentException ex)
        {
            return InferenceError.Internal($"the server's answer does not fit its own metadata: {ex.Message}");
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int IndexOf(ModelInferResponse response, string name)
    {
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            if (response.Outputs[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static List<TensorSpec> Specs(IEnumerable<ModelMetadataResponse.Types.TensorMetadata> tensors, List<string> problems)
    {
        var specs = new List<TensorSpec>();
        foreach (var t in tensors)
        {
            if (DataTypes.TryParse(t.Datatype, out var type))
            {
                specs.Add(new TensorSpec(t.Name, type, [.. t.Shape]));
            }
            else
            {
                problems.Add($"tensor '{t.Name}': unknown datatype '{t.Datatype}' in the server's metadata");
            }
        }

        return specs;
    }
}
