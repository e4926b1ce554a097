//! What the engine asks of the device: its identity, its parameters and what the ACS may
//! change. The agent implements it on its configuration store and the TR-181/TR-104 tree
//! (`tipring-datamodel`); tests implement it on a map.

use tipring_cwmp::{
    AddObjectResponse, DeviceId, FaultCode, ParameterAttribute, ParameterInfo, ParameterValue,
    SetParameterAttributesStruct, SetParameterValuesFault, Status,
};

/// A SetParameterValues refused: a general fault, with one entry per parameter in error
/// (TR-069 Amendment 6 A.3.2.1: 9003 with the list when parameters are in error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetFault {
    /// The fault of the whole call (9003 when `parameters` says why, else 9001/9002/9004).
    pub code: FaultCode,
    /// The parameters in error and why (9005-9008).
    pub parameters: Vec<SetParameterValuesFault>,
}

/// The device the CPE engine manages.
pub trait Device {
    /// DeviceId of the Inform.
    fn device_id(&self) -> DeviceId;

    /// The ParameterList of an Inform: the forced Inform parameters (TR-181 marks them) and
    /// every parameter with passive or active notification whose value changed since the
    /// last delivered Inform.
    fn inform_parameters(&mut self) -> Vec<ParameterValue>;

    /// Whether parameters with notification changed since the last delivered Inform: the
    /// next Inform then carries `4 VALUE CHANGE` (passive changes ride along with
    /// whatever opens the session; active ones open it with
    /// [`Input::ActiveValueChange`](crate::Input::ActiveValueChange)).
    fn has_value_changes(&self) -> bool {
        false
    }

    /// The Inform carrying [`inform_parameters`](Self::inform_parameters) was delivered:
    /// the changes in it are reported.
    fn inform_delivered(&mut self) {}

    /// GetParameterValues: full names and partial paths (ending in `.`).
    fn get_values(&mut self, names: &[String]) -> Result<Vec<ParameterValue>, FaultCode>;

    /// GetParameterNames (A.3.2.3).
    fn get_names(&mut self, path: &str, next_level: bool) -> Result<Vec<ParameterInfo>, FaultCode>;

    /// SetParameterValues: all or nothing. On success the configuration is changed (durably)
    /// and `ManagementServer.ParameterKey` set to `parameter_key`; on failure nothing is.
    fn set_values(
        &mut self,
        values: &[ParameterValue],
        parameter_key: &str,
    ) -> Result<Status, SetFault>;

    /// GetParameterAttributes.
    fn get_attributes(&mut self, names: &[String]) -> Result<Vec<ParameterAttribute>, FaultCode>;

    /// SetParameterAttributes: all or nothing.
    fn set_attributes(
        &mut self,
        attributes: &[SetParameterAttributesStruct],
    ) -> Result<(), FaultCode>;

    /// AddObject (ParameterKey set on success).
    fn add_object(
        &mut self,
        object: &str,
        parameter_key: &str,
    ) -> Result<AddObjectResponse, FaultCode>;

    /// DeleteObject (ParameterKey set on success).
    fn delete_object(&mut self, object: &str, parameter_key: &str) -> Result<Status, FaultCode>;

    /// Whether a Download of this FileType (e.g. `1 Firmware Upgrade Image`) can be done;
    /// `Err(9003)`-style refusal otherwise (checked before the Download is accepted).
    fn accepts_download(&self, file_type: &str) -> Result<(), FaultCode> {
        match file_type {
            "1 Firmware Upgrade Image" | "3 Vendor Configuration File" => Ok(()),
            _ => Err(FaultCode::INVALID_ARGUMENTS),
        }
    }

    /// Whether an Upload of this FileType can be done.
    fn accepts_upload(&self, file_type: &str) -> Result<(), FaultCode> {
        match file_type {
            "1 Vendor Configuration File" | "2 Vendor Log File" => Ok(()),
            s if s.starts_with("3 Vendor Configuration File")
                || s.starts_with("4 Vendor Log File") =>
            {
                Ok(())
            }
            _ => Err(FaultCode::INVALID_ARGUMENTS),
        }
    }
}
