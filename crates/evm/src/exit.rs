//! Exit codes of EVM frames (FEVM's numbers where FEVM has one).

use fvm_ipld_encoding::IPLD_RAW;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::error::ExitCode;
use revm::interpreter::InstructionResult;
use tandem_vm::runtime::InvokeReturn;

/// REVERT; the return data is the revert data.
pub const REVERTED: ExitCode = ExitCode::new(33);
pub const INVALID_INSTRUCTION: ExitCode = ExitCode::new(34);
pub const UNDEFINED_INSTRUCTION: ExitCode = ExitCode::new(35);
pub const STACK_UNDERFLOW: ExitCode = ExitCode::new(36);
pub const STACK_OVERFLOW: ExitCode = ExitCode::new(37);
pub const ILLEGAL_MEMORY_ACCESS: ExitCode = ExitCode::new(38);
pub const BAD_JUMPDEST: ExitCode = ExitCode::new(39);
pub const SELFDESTRUCT_FAILED: ExitCode = ExitCode::new(40);

/// The exit code of a frame that halted (all its gas is consumed).
pub fn for_halt(result: InstructionResult) -> ExitCode {
    use InstructionResult as R;
    match result {
        R::OutOfGas
        | R::MemoryOOG
        | R::MemoryLimitOOG
        | R::PrecompileOOG
        | R::InvalidOperandOOG
        | R::ReentrancySentryOOG => ExitCode::SYS_OUT_OF_GAS,
        R::OpcodeNotFound | R::NotActivated => UNDEFINED_INSTRUCTION,
        R::StackUnderflow => STACK_UNDERFLOW,
        R::StackOverflow => STACK_OVERFLOW,
        R::OutOfOffset => ILLEGAL_MEMORY_ACCESS,
        R::InvalidJump => BAD_JUMPDEST,
        R::CallNotAllowedInsideStatic | R::StateChangeDuringStaticCall => ExitCode::USR_READ_ONLY,
        R::CreateContractSizeLimit
        | R::CreateContractStartingWithEF
        | R::CreateInitCodeSizeLimit => ExitCode::USR_ILLEGAL_ARGUMENT,
        R::FatalExternalError => SELFDESTRUCT_FAILED,
        _ => INVALID_INSTRUCTION,
    }
}

pub fn bad_params(msg: &str) -> InvokeReturn {
    InvokeReturn::exit(
        ExitCode::USR_ILLEGAL_ARGUMENT,
        Some(IpldBlock {
            codec: IPLD_RAW,
            data: msg.as_bytes().to_vec(),
        }),
    )
}
