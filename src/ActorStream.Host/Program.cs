using System.CommandLine;
using ActorStream.Host.Cli;
using ActorStream.Host.Commands;

// The actorstream CLI: one file per command under Commands/, registered here.
var root = new RootCommand("actorstream: process Kafka events with Akka.NET actors.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(DevCommand.Create());
root.Subcommands.Add(KafkaCommand.Create());
root.Subcommands.Add(TopicsCommand.Create());
root.Subcommands.Add(ProduceCommand.Create());
root.Subcommands.Add(DlqCommand.Create());
root.Subcommands.Add(LagCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(PipelinesCommand.Create());
root.Subcommands.Add(SchemaRegistryCommand.Create());
root.Subcommands.Add(SchemasCommand.Create());
root.Subcommands.Add(DbCommand.Create());

return await CommandLineRunner.RunAsync(root, args);
