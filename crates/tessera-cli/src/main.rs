//! `tessera`: the binary. Thin glue over the library crates; every command is a library call.

mod config;
mod dev;
mod import;
mod org;
mod serve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "A Better Auth–compatible auth server that brings a Clerk user base across"
)]
struct Cli {
    /// TOML config file (default: $TESSERA_CONFIG, else ./tessera.toml when it exists).
    /// Environment variables (TESSERA_*, BETTER_AUTH_SECRET, BETTER_AUTH_URL) override it.
    #[arg(long, global = true, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Better Auth's HTTP API.
    Serve,
    /// Create what is missing in the database (tables, columns, indexes). Idempotent.
    Migrate,
    /// Print the schema DDL Better Auth would create, for the configured plugins.
    Generate {
        #[arg(long, value_enum)]
        dialect: DialectArg,
    },
    /// Print a new secret for BETTER_AUTH_SECRET (32 random bytes as hex).
    Secret,
    /// Development: a persistent generated secret, migrate, then serve on the configured address.
    Dev,
    /// Administrative changes to users.
    #[command(subcommand)]
    User(UserCommand),
    /// Organizations (organization plugin): list, show, add a member.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Bring a user base across from another provider.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Generate example data (for trials, tests and benchmarks).
    #[command(subcommand)]
    Example(ExampleCommand),
}

#[derive(Subcommand)]
enum ExampleCommand {
    /// A deterministic Clerk export (CSV, API snapshot, known passwords): `--users` random users,
    /// or the bundled example (edge cases included) when omitted.
    ClerkExport {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        users: Option<u64>,
        /// With `--users`: every edge case and fault kind spread through the file, BOM and CRLF
        /// (the import crash soak's export).
        #[arg(long, requires = "users")]
        hostile: bool,
        /// With `--users`: this many random organizations (with memberships, custom roles and
        /// pending invitations) in `users.organizations.ndjson`. The bundled example has its own.
        #[arg(long, requires = "users")]
        organizations: Option<u64>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A Clerk export (dashboard CSV), optionally with the Backend API or a saved snapshot.
    Clerk(import::ClerkArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Give a user a role, e.g. `admin` (admin plugin).
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Every organization, oldest first: id, slug, member count, name.
    List,
    /// One organization (by id or slug) with its members and their roles.
    Show { organization: String },
    /// Make a user (by email) a member, as Better Auth's server-only `addMember`.
    AddMember {
        /// The organization's id or slug.
        #[arg(long)]
        organization: String,
        #[arg(long)]
        email: String,
        /// A role, or several separated by commas.
        #[arg(long, default_value = "member")]
        role: String,
        /// A team of the organization to put the member in (teams enabled).
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DialectArg {
    Sqlite,
    Postgres,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Secret => {
            println!(
                "BETTER_AUTH_SECRET={}",
                tessera_core::crypto::random::generate_secret_hex()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate { dialect } => {
            let cfg = config::load(cli.config.as_deref(), &[])?;
            let dialect = match dialect {
                DialectArg::Sqlite => tessera_store::Dialect::Sqlite,
                DialectArg::Postgres => tessera_store::Dialect::Postgres,
            };
            print!("{}", tessera_store::ddl::generate(dialect, cfg.schema()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let cfg = config::load(cli.config.as_deref(), &[])?;
            serve::migrate(&cfg).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
            let cfg = config::load(cli.config.as_deref(), &[])?;
            serve::serve(cfg).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev => dev::run(cli.config.as_deref()).await,
        Command::Example(ExampleCommand::ClerkExport {
            dir,
            users,
            hostile,
            organizations,
        }) => {
            use tessera_import::clerk::generate::{GenerateOptions, generate_to_dir};
            let mut options = match users {
                Some(users) if hostile => GenerateOptions::hostile(users),
                Some(users) => GenerateOptions::bench(users),
                None => GenerateOptions::example(),
            };
            if let Some(organizations) = organizations {
                options.organizations = organizations;
            }
            let (paths, stats) = generate_to_dir(&options, &dir)?;
            eprintln!(
                "{} export records, {} snapshot users: {}",
                stats.export_records,
                stats.snapshot_users,
                paths.csv.display()
            );
            println!(
                "expected: {} users, {} rejects, {} password accounts, {} OAuth accounts, {} two-factor",
                stats.expected_users,
                stats.expected_rejects,
                stats.expected_credential_accounts,
                stats.expected_oauth_accounts,
                stats.expected_two_factors
            );
            let o = &stats.organizations;
            if o.organizations > 0 {
                println!(
                    "organizations: {} ({} without an imported member), {} members ({} skipped), \
                     {} pending invitations ({} skipped), {} custom role rows with dynamic access \
                     control",
                    o.organizations,
                    o.expected_without_owner,
                    o.expected_members,
                    o.expected_members_skipped,
                    o.expected_invitations,
                    o.expected_invitations_skipped,
                    o.expected_roles
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(ImportCommand::Clerk(args)) => {
            let cfg = config::load(cli.config.as_deref(), &[])?;
            import::clerk(&cfg, args).await
        }
        Command::Org(command) => {
            let cfg = config::load(cli.config.as_deref(), &[])?;
            match command {
                OrgCommand::List => org::list(&cfg).await,
                OrgCommand::Show { organization } => org::show(&cfg, &organization).await,
                OrgCommand::AddMember {
                    organization,
                    email,
                    role,
                    team,
                } => org::add_member(cfg, &organization, &email, &role, team.as_deref()).await,
            }
        }
        Command::User(UserCommand::SetRole { email, role }) => {
            let cfg = config::load(cli.config.as_deref(), &[])?;
            user::set_role(&cfg, &email, &role).await
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TESSERA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
